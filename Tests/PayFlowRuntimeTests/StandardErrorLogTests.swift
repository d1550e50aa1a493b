import Foundation
import Logging
import Synchronization
import Testing
@testable import PayFlowRuntime

/// The text log handler writes through ``StandardErrorLog``: inside a batch,
/// every line logged is held and the batch is one write at its end, each
/// line still whole and in the order logged (the notification log channel's
/// one write per batch).
@Suite struct StandardErrorLogTests {
    @Test func aBatchIsOneWriteOfItsLinesInOrder() {
        let writes = Mutex<[String]>([])
        let logger = Logger(label: "payflow.notification.log") { label in
            StreamLogHandler(label: label, stream: StandardErrorLog.Stream(), metadataProvider: nil)
        }
        StandardErrorLog.batch(writingWith: { text in writes.withLock { $0.append(text) } }) {
            for number in 1...3 {
                logger.info("notification \(number)", metadata: ["notification_id": "id-\(number)"])
            }
            // A batch inside the batch adds to it.
            StandardErrorLog.batch(writingWith: { text in writes.withLock { $0.append("inner: " + text) } }) {
                logger.info("notification 4", metadata: ["notification_id": "id-4"])
            }
            #expect(writes.withLock { $0.isEmpty }, "nothing written before the batch ends")
        }

        let written = writes.withLock { $0 }
        #expect(written.count == 1)
        let lines = (written.first ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5, "four lines, each ended by its newline")
        for number in 1...4 {
            let line = lines.count > number - 1 ? String(lines[number - 1]) : ""
            #expect(line.contains("notification_id=id-\(number)"))
            #expect(line.hasSuffix("notification \(number)"))
            #expect(line.contains(" info payflow.notification.log:"))
        }
        #expect(lines.last == "")
    }
}
