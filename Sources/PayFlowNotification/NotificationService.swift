/// Placeholder until the notification service lands.
enum NotificationPlaceholder {}
