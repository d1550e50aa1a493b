/// Placeholder until the analytics API lands.
enum AnalyticsAPIPlaceholder {}
