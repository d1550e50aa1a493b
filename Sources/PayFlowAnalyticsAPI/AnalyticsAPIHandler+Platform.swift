import Foundation
import HTTPTypes
import Hummingbird
import PayFlowRedis
import PayFlowScoring

/// The two platform-wide endpoints the dashboard needs beside the
/// aggregates: consumer-group backlog (Redis) and detection scores (the
/// fraud and reconciliation reports, the same numbers their commands print).
extension AnalyticsAPIHandler {
    func getGroupStats(_ input: Operations.GetGroupStats.Input) async throws -> Operations.GetGroupStats.Output {
        let platform = try self.requirePlatform()
        var groups: [Components.Schemas.GroupInfo] = []
        for stream in try await platform.snapshot().streams {
            for group in stream.groups.map(\.info) {
                groups.append(.init(
                    stream: stream.name, group: group.name, consumers: Int64(group.consumers),
                    pending: Int64(group.pending), lag: group.lag.map(Int64.init)
                ))
            }
        }
        return .ok(.init(body: .json(.init(groups: groups))))
    }

    func getDetection(_ input: Operations.GetDetection.Input) async throws -> Operations.GetDetection.Output {
        let platform = try self.requirePlatform()
        let fraud = try await FraudReport.load(from: platform.database)
        let currentRun = try await FraudReport.latestRun(in: platform.database)
        var fraudCurrentRun: FraudReport?
        if let currentRun {
            fraudCurrentRun = try await FraudReport.load(from: platform.database, run: currentRun)
        }
        let reconciliation = try await ReconciliationReport.load(from: platform.database)
        func scores(_ report: FraudReport) -> Components.Schemas.FraudDetection {
            .init(
                alertedEvents: Int64(report.alertedEvents), labelledAlertedEvents: Int64(report.labelledAlertedEvents),
                incidents: Int64(report.incidents), detectedIncidents: Int64(report.detectedIncidents),
                fraudEvents: Int64(report.fraudEvents), alertedFraudEvents: Int64(report.alertedFraudEvents),
                precision: report.precision, incidentRecall: report.incidentRecall, eventRecall: report.eventRecall
            )
        }
        return .ok(.init(body: .json(.init(
            fraud: scores(fraud),
            reconciliation: .init(
                injected: Int64(reconciliation.injected), found: Int64(reconciliation.found),
                falsePositives: Int64(reconciliation.falsePositives), missed: Int64(reconciliation.missed)
            ),
            currentRun: currentRun.map(Int64.init),
            fraudCurrentRun: fraudCurrentRun.map(scores)
        ))))
    }

    private func requirePlatform() throws -> AnalyticsAPI.PlatformSources {
        guard let platform = self.platform else {
            throw HTTPError(.serviceUnavailable, message: "this analytics API was started without Redis and report sources")
        }
        return platform
    }
}
