import Logging
import PayFlowDomain
import PayFlowRuntime

/// The balances process: the consumer group `balances` on `payflow:events`,
/// keeping each account's running balance per currency in
/// `account_balances`. The worked example of `docs/extending.md` ("a new
/// consumer-group service"): everything a group needs beyond what an entry
/// means comes from the runtime.
///
/// `payflow balances` runs what ``make(_:)`` returns, and so do the tests.
public enum BalancesService {
    /// Not one of the platform's five (`ConsumerGroupName.platform`): an
    /// optional extra that `make run` and compose leave out.
    public static let group = ConsumerGroupName(name: "balances", streams: [StreamNames.events])
    public static let defaultPort = 8096

    /// Reads the settings, opens the connection and returns the process,
    /// ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: Self.group.streams, environment: context.environment)
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)
        // Single statements only, so the consumer's two loops share this session.
        application.addConsumerGroup(group, handler: BalancesHandler(database: try await application.connectDatabase()))
        return application
    }
}
