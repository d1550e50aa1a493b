import PayFlowRuntime

extension OpenAPIDocument {
    /// Where SwiftPM puts this target's resources (openapi.json).
    static let bundleName = "payflow_PayFlowAnalyticsAPI"

    static func load() -> [UInt8]? {
        Self.load(bundleName: Self.bundleName)
    }
}
