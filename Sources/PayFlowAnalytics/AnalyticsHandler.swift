/// Placeholder until the analytics service lands.
enum AnalyticsPlaceholder {}
