/// A channel whose delivery happens in this process, at once, and cannot
/// fail (the log): the handler then delivers a batch *inside* the
/// transaction that records it as `delivered`, so each notification's row is
/// written once, and a row the database refuses is refused before anything
/// is delivered.
///
/// A channel that goes over the network (the webhook) is not one: its
/// deliveries take time and may fail, so the handler records `pending`
/// first and the outcome after, holding no transaction open meanwhile.
public protocol InProcessNotificationChannel: NotificationChannel {
    /// Delivers every message, in order, before returning.
    func deliverAll(_ messages: [NotificationMessage])
}
