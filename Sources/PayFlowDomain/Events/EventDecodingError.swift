/// Why a set of fields is not a valid ``PaymentEvent``. The description is the
/// reason written to the dead-letter stream and returned by the REST API, so
/// it names the field and the offending value.
public struct EventDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Problem: Hashable, Sendable {
        case missingField
        case emptyField
        case unknownField
        case duplicateField
        case invalidValue(String)
    }

    public var field: String
    public var problem: Problem

    public init(field: String, problem: Problem) {
        self.field = field
        self.problem = problem
    }

    public var description: String {
        switch self.problem {
        case .missingField: "missing field '\(self.field)'"
        case .emptyField: "field '\(self.field)' is empty"
        case .unknownField: "unknown field '\(self.field)'"
        case .duplicateField: "field '\(self.field)' appears more than once"
        case .invalidValue(let why): "field '\(self.field)': \(why)"
        }
    }
}
