import PayFlowPostgres
import PayFlowRedis

/// The one rule for an error a handler throws: is a store down (wait, then
/// retry the same batch without spending the entries' delivery attempts), or
/// did a store refuse the work (retrying the same statement cannot help)?
///
/// Kept in the runtime so that no handler repeats the distinction: a handler
/// throws whatever its store threw, and ``ConsumerGroupService`` applies this.
public enum HandlerFailure {
    /// True when the error means "something is unreachable right now": a
    /// lost or refused connection, a server restarting, a serialisation
    /// failure. False for a statement PostgreSQL refused (a constraint, a
    /// value it cannot store) and for an error reply from Redis. Errors of
    /// other types count as outages: the runtime cannot know better, and
    /// waiting is the choice that loses nothing.
    public static func isOutage(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: error.isRetriable
        case let error as RedisError: error.isRetriable
        default: true
        }
    }
}
