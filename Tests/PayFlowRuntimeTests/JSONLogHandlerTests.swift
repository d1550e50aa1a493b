import Foundation
import Logging
import Synchronization
import Testing
@testable import PayFlowRuntime

@Suite struct JSONLogHandlerTests {
    @Test func writesOneParsableObjectPerLineWithTheOperatorsFieldsOnTop() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "anti-fraud") { label in
            JSONLogHandler(label: label, write: { line in lines.withLock { $0.append(line) } })
        }
        logger[metadataKey: "group"] = "anti-fraud"
        logger[metadataKey: "consumer"] = "host-1-42"
        logger.warning("Entry dead-lettered", metadata: ["entry": "1-0", "reason": "malformed \"amount\"\nsecond line"])
        logger.info("plain")

        let written = lines.withLock { $0 }
        #expect(written.count == 2)
        #expect(written.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().contains("\n") == false })
        let first = try #require(JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "warning")
        #expect(first["service"] as? String == "anti-fraud")
        #expect(first["consumer"] as? String == "host-1-42")
        #expect(first["group"] as? String == "anti-fraud")
        #expect(first["message"] as? String == "Entry dead-lettered")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["reason"] as? String == "malformed \"amount\"\nsecond line")
        #expect(metadata["consumer"] == nil, "lifted fields are not repeated under metadata")
        let time = try #require(first["time"] as? String)
        #expect(try Date(time, strategy: .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)) <= Date())
        #expect(time.hasSuffix("Z"))

        let second = try #require(JSONSerialization.jsonObject(with: Data(written[1].utf8)) as? [String: Any])
        #expect(second["metadata"] == nil)
        #expect(second["level"] as? String == "info")
    }

    @Test func logFormatIsReadFromTheEnvironmentAndABadValueIsNamed() throws {
        #expect(try Environment(["LOG_FORMAT": "JSON"]).logFormat() == .json)
        #expect(try Environment([:]).logFormat() == .text)
        #expect(throws: ConfigurationError.self) { try Environment(["LOG_FORMAT": "xml"]).logFormat() }
    }
}
