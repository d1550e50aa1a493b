/// A missing or malformed setting. It names the variable and says what was
/// expected, so a process that cannot start explains itself in one line
/// instead of crashing.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var variable: String
    public var problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(self.variable): \(self.problem)" }
}
