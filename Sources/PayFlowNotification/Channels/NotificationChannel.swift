/// A way to deliver a notification. Implementations retry what is worth
/// retrying within one call and report the rest as a ``DeliveryResult``; they
/// never throw, so one failing notification never fails its batch.
///
/// A channel may be called again with a notification it already delivered
/// (after a crash before the database recorded it), always with the same
/// ``NotificationMessage/id``: that id is what receivers dedupe by.
public protocol NotificationChannel: Sendable {
    var name: NotificationChannelName { get }
    func deliver(_ message: NotificationMessage) async -> DeliveryResult
}
