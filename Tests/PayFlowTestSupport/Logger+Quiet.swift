import Logging

extension Logger {
    /// A logger for code under test that reports only at `level` and above,
    /// so a passing run's output stays readable while a failure still shows
    /// what went wrong.
    public static func quiet(_ label: String, level: Logger.Level = .error) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
