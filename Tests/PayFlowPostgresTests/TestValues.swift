import Foundation
import Logging

/// Values shared by the suites.
enum TestValues {
    /// Strings that break naive quoting, COPY escaping or UTF-8 handling.
    static let trickyStrings: [String] = [
        "it's a \"quoted\" value",
        "back\\slash, \\\\ double, and a trailing one\\",
        "\\N",  // COPY's NULL marker, as data
        "\\.",  // COPY's old end-of-data marker, as data
        "tab\there\tand\tthere",
        "new\nline, carriage\r\nreturn",
        "café crème, naïve, Ærøskøbing, Ångström",
        "emoji 💸🚀, a flag 🇫🇷, a family 👩‍👩‍👧",
        "日本語のテキスト",
        "'; DROP TABLE items; --",
        "$1 looks like a placeholder",
        "",
        "  leading and trailing spaces  ",
    ]

    static let quietLogger = Logger(label: "payflow.postgres.test", factory: { _ in SwiftLogNoOpLogHandler() })
}
