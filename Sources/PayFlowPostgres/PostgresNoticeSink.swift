import CLibpq
import Logging

/// Receives libpq's notices (`NOTICE: relation ... already exists, skipping`, `WARNING: ...`)
/// and sends them to the connection's logger.
///
/// Without a notice processor libpq prints them to stderr, where they interleave with the
/// structured logs of the services.
final class PostgresNoticeSink: Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Registers the sink on `handle`. The connection keeps the sink alive for longer than the
    /// handle (it calls `PQfinish` first), so passing it unretained is safe.
    func install(on handle: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        PQsetNoticeProcessor(
            handle,
            { context, message in
                guard let context, let message else {
                    return
                }
                let sink = Unmanaged<PostgresNoticeSink>.fromOpaque(context).takeUnretainedValue()
                let text = String(cString: message).trimmingTrailingNewlines()
                if text.hasPrefix("WARNING") {
                    sink.logger.warning("postgres: \(text)")
                } else {
                    sink.logger.debug("postgres: \(text)")
                }
            },
            context
        )
    }
}
