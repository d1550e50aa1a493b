import Foundation
import PayFlowAnalytics
import PayFlowDomain

/// The generated `APIProtocol`: each method checks what the document cannot
/// express (ranges, `from` before `to`), asks ``AnalyticsQueries`` and maps
/// the figures to the documented response.
///
/// Every parameter problem is a documented 400 with the JSON error body; the
/// only throws left are database failures, answered 500 by
/// ``APIErrorMiddleware``.
struct AnalyticsAPIHandler: APIProtocol {
    let queries: AnalyticsQueries
    let platform: AnalyticsAPI.PlatformSources?

    /// A timeseries answers at most this many buckets, so one request cannot
    /// ask for a year of minutes.
    static let maxBuckets: Int64 = 10_000
    static let recentLimits = 1...1000
    static let topLimits = 1...100

    func getSummary(_ input: Operations.GetSummary.Input) async throws -> Operations.GetSummary.Output {
        .ok(.init(body: .json(Components.Schemas.Summary(try await self.queries.summary()))))
    }

    func getTimeseries(_ input: Operations.GetTimeseries.Input) async throws -> Operations.GetTimeseries.Output {
        let query = input.query
        let from = EventTimestamp(query.from)
        let to = EventTimestamp(query.to)
        guard from <= to else {
            return .badRequest(.init(body: .json(.init(message: "from: must not be after to (from \(from), to \(to))"))))
        }
        let bucket = TimeBucket(query.bucket ?? .minute)
        let span = to.microsecondsSinceEpoch - from.microsecondsSinceEpoch
        let bucketMicros = bucket.seconds * 1_000_000
        let buckets = span / bucketMicros + 1
        guard buckets <= Self.maxBuckets else {
            return .badRequest(.init(body: .json(.init(
                message: "to: the range holds \(buckets) \(bucket.rawValue) buckets, more than \(Self.maxBuckets); narrow it or use a larger bucket"
            ))))
        }
        let points = try await self.queries.timeseries(from: from, to: to, bucket: bucket, type: query._type.map(EventType.init))
        return .ok(.init(body: .json(.init(
            from: from.date, to: to.date, bucket: query.bucket ?? .minute,
            points: points.map(Components.Schemas.TimeseriesPoint.init)
        ))))
    }

    func getAlertStats(_ input: Operations.GetAlertStats.Input) async throws -> Operations.GetAlertStats.Output {
        let limit = input.query.limit ?? 20
        guard Self.recentLimits.contains(limit) else {
            return .badRequest(.init(body: .json(.init(message: Self.outOfRange("limit", limit, Self.recentLimits)))))
        }
        return .ok(.init(body: .json(Components.Schemas.AlertStats(try await self.queries.alerts(recent: limit)))))
    }

    func getMismatchStats(_ input: Operations.GetMismatchStats.Input) async throws -> Operations.GetMismatchStats.Output {
        let limit = input.query.limit ?? 20
        guard Self.recentLimits.contains(limit) else {
            return .badRequest(.init(body: .json(.init(message: Self.outOfRange("limit", limit, Self.recentLimits)))))
        }
        return .ok(.init(body: .json(Components.Schemas.MismatchStats(try await self.queries.mismatches(recent: limit)))))
    }

    func getTopAccounts(_ input: Operations.GetTopAccounts.Input) async throws -> Operations.GetTopAccounts.Output {
        let limit = input.query.limit ?? 10
        guard Self.topLimits.contains(limit) else {
            return .badRequest(.init(body: .json(.init(message: Self.outOfRange("limit", limit, Self.topLimits)))))
        }
        let currency = input.query.currency.flatMap { Currency(code: $0.rawValue) }
        let accounts = try await self.queries.topAccounts(limit: limit, currency: currency)
        return .ok(.init(body: .json(.init(limit: limit, accounts: accounts.map(Components.Schemas.AccountSpend.init)))))
    }

    static func outOfRange(_ name: String, _ value: Int, _ range: ClosedRange<Int>) -> String {
        "\(name): must be between \(range.lowerBound) and \(range.upperBound), got \(value)"
    }
}
