/// The Redis keys of PayFlow's streams: the contract between the generator,
/// the services and anyone inspecting them with `redis-cli`.
public enum StreamNames {
    /// Every payment-domain event the generator emits.
    public static let events = "payflow:events"
    /// Fraud alerts raised by the anti-fraud service.
    public static let alerts = "payflow:alerts"
    /// Differences the reconciliation service found against the ledger.
    public static let mismatches = "payflow:mismatches"

}
