/// An ISO 4217 currency PayFlow accepts. A closed list on purpose: an unknown
/// code in an event is an error to report, not a currency to invent.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String
    /// Digits after the decimal point: amounts are integers of 10^-minorDigits.
    public let minorDigits: Int

    private init(_ code: String, minorDigits: Int) {
        self.code = code
        self.minorDigits = minorDigits
    }

    public static let eur = Currency("EUR", minorDigits: 2)
    public static let usd = Currency("USD", minorDigits: 2)
    public static let gbp = Currency("GBP", minorDigits: 2)
    public static let chf = Currency("CHF", minorDigits: 2)
    public static let sek = Currency("SEK", minorDigits: 2)
    public static let pln = Currency("PLN", minorDigits: 2)
    public static let jpy = Currency("JPY", minorDigits: 0)

    public static let all: [Currency] = [.eur, .usd, .gbp, .chf, .sek, .pln, .jpy]

    /// The currency with this code, or nil if PayFlow does not know it.
    public init?(code: String) {
        guard let known = Self.all.first(where: { $0.code == code }) else { return nil }
        self = known
    }

    public var description: String { self.code }

    public init(from decoder: any Decoder) throws {
        let code = try decoder.singleValueContainer().decode(String.self)
        guard let currency = Currency(code: code) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown currency '\(code)'"))
        }
        self = currency
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.code)
    }
}
