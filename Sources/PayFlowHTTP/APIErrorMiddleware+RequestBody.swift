import Foundation

/// Messages for a JSON request body that did not decode (``APIErrorMiddleware/Input/jsonBody``).
extension APIErrorMiddleware {
    /// What is wrong, naming the field by its JSON path (`mix.payment`,
    /// `currencies[1]`).
    static func describe(_ error: DecodingError, body: [UInt8]) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            let expected = Self.typeName(type)
            return expected.hasPrefix("of type")
                ? "\(Self.subject(context.codingPath)): \(context.debugDescription)"
                : "\(Self.subject(context.codingPath)) must be \(expected)"
        case .valueNotFound(let type, let context):
            return "\(Self.subject(context.codingPath)) must be \(Self.typeName(type)), not null"
        case .keyNotFound(let key, let context):
            return "missing field '\(Self.path(context.codingPath + [key]))'"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                // Foundation reports a number that does not fit its Swift type
                // (12.5 or -1 for an integer, 2^64 for a seed) as invalid JSON
                // without a path; telling the two apart spares a puzzled client.
                guard (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil else {
                    return "not valid JSON"
                }
                return "a number is not a valid integer for its field (fractional, negative, or too large)"
            }
            if context.debugDescription.hasPrefix("Additional properties are disabled") {
                return "unknown field '\(Self.path(context.codingPath))'"
            }
            return "\(Self.subject(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func subject(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "the body" : "field '\(Self.path(codingPath))'"
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    /// Plain JSON words for the Swift types the generated decoders ask for.
    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "of type \(type)"
        }
    }
}
