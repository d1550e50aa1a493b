import CLibpq
import Foundation

/// Up-front checks on `DATABASE_URL`, before any thread or socket exists.
///
/// libpq would report a malformed URL from `PQconnectdb` too, but mixed in with connection
/// errors; checking with `PQconninfoParse` first gives an error that names the variable and
/// its problem. Messages never contain the password.
enum DatabaseURL {
    /// Throws ``PostgresError/Code/badURL`` unless libpq can parse `url`. Both the URI form
    /// (`postgres://user:pass@host:port/db`) and libpq's `key=value` form are accepted.
    static func validate(_ url: String) throws {
        if url.allSatisfy(\.isWhitespace) {
            throw PostgresError(code: .badURL, message: "DATABASE_URL is empty; expected postgres://user:pass@host:port/db")
        }
        let isURI = url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
        if !isURI && !url.contains("=") {
            throw PostgresError(
                code: .badURL,
                message: "DATABASE_URL must look like postgres://user:pass@host:port/db (or libpq key=value pairs); "
                    + "got \"\(self.redacted(url))\""
            )
        }
        var errorMessage: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(url, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "libpq could not parse it (out of memory?)"
            if let errorMessage {
                PQfreemem(errorMessage)
            }
            throw PostgresError(
                code: .badURL,
                message: "DATABASE_URL is not a valid PostgreSQL connection URL: "
                    + self.redact(reason.trimmingTrailingNewlines(), of: url)
            )
        }
        defer {
            PQconninfoFree(options)
        }
        // PQconninfoParse accepts any port text; PQconnectdb would refuse it later, as a
        // connection error. Checked here so a typo in the URL is reported as one.
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "port", let value = option.pointee.val {
                let ports = String(cString: value).split(separator: ",", omittingEmptySubsequences: false)
                for port in ports where !port.isEmpty && !(Int(port).map { (1...65535).contains($0) } ?? false) {
                    throw PostgresError(
                        code: .badURL,
                        message: "DATABASE_URL has an invalid port \"\(port)\"; expected a number from 1 to 65535"
                    )
                }
            }
            option += 1
        }
    }

    /// `url` with the password of a `scheme://user:password@host` URL replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard let password = self.password(in: url) else {
            return url
        }
        return url.replacingOccurrences(of: ":" + password + "@", with: ":***@")
    }

    /// Removes the password from a libpq message that might quote part of the URL.
    private static func redact(_ message: String, of url: String) -> String {
        guard let password = self.password(in: url), !password.isEmpty else {
            return message
        }
        return message.replacingOccurrences(of: password, with: "***")
    }

    private static func password(in url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else {
            return nil
        }
        let rest = url[schemeEnd.upperBound...]
        guard let at = rest.lastIndex(of: "@") else {
            return nil
        }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else {
            return nil
        }
        return String(userInfo[userInfo.index(after: colon)...])
    }
}

extension String {
    /// libpq messages end with a newline, which would break single-line log output.
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while text.last?.isNewline == true {
            text = text.dropLast()
        }
        return String(text)
    }
}
