import ArgumentParser

/// `payflow <subcommand>`: one binary for every PayFlow process, so a
/// deployment ships one image and picks the role by its command line.
@main
struct PayFlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payflow",
        abstract: "An event-driven payment platform on Redis Streams consumer groups.",
        discussion: "Settings come from the environment; .env.example lists every variable with its default.",
        subcommands: [
            MigrateCommand.self,
            DemoProduceCommand.self,
            DemoConsumerCommand.self,
            GeneratorCommand.self,
            AntiFraudCommand.self,
            FraudReportCommand.self,
            ReconciliationCommand.self,
            ReconciliationReportCommand.self,
            NotificationCommand.self,
            AnalyticsCommand.self,
            AuditLogCommand.self,
            BalancesCommand.self,
            AuditCommand.self,
            StreamsCommand.self,
            DeadLetterCommand.self,
            BenchCommand.self,
        ]
    )
}
