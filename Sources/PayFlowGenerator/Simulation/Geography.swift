import PayFlowDomain

/// The countries simulated accounts live and pay in, grouped by continent.
///
/// A fixed list rather than all of ISO 3166-1: what matters to the fraud rules
/// is only whether two countries are on the same continent (impossible travel),
/// and a short list keeps the traffic readable in `redis-cli`.
enum Continent: String, Sendable, CaseIterable {
    case europe
    case northAmerica
    case southAmerica
    case asia
    case africa
    case oceania

    /// ISO 3166-1 alpha-2 codes, in a fixed order (draws index into it).
    var countries: [String] {
        switch self {
        case .europe: ["DE", "FR", "ES", "IT", "NL", "BE", "AT", "PT", "IE", "FI", "GB", "CH", "SE", "PL"]
        case .northAmerica: ["US", "CA", "MX"]
        case .southAmerica: ["BR", "AR", "CL", "CO", "PE"]
        case .asia: ["JP", "CN", "IN", "SG", "KR", "TH", "VN"]
        case .africa: ["ZA", "NG", "KE", "EG", "MA"]
        case .oceania: ["AU", "NZ"]
        }
    }

    /// The continent of one of the listed countries.
    static func of(_ country: String) -> Continent? {
        Self.allCases.first { $0.countries.contains(country) }
    }
}

enum Geography {
    /// Where an account holding this currency plausibly lives: a euro account
    /// in the euro area, a franc account in Switzerland… so that a home country
    /// and a currency never contradict each other.
    static func homeCountries(for currency: Currency) -> [String] {
        switch currency.code {
        case "EUR": ["DE", "FR", "ES", "IT", "NL", "BE", "AT", "PT", "IE", "FI"]
        case "USD": ["US", "US", "US", "CA"]
        case "GBP": ["GB"]
        case "CHF": ["CH"]
        case "SEK": ["SE"]
        case "PLN": ["PL"]
        case "JPY": ["JP"]
        default: ["US"]
        }
    }

    /// A country on another continent than `home`: nobody pays from both
    /// within minutes.
    static func distantCountry(from home: String, using random: inout SeededRandom) -> String {
        let homeContinent = Continent.of(home)
        let others = Continent.allCases.filter { $0 != homeContinent }
        let continent = random.pick(others)
        return random.pick(continent.countries)
    }

    /// Another country on the same continent as `home` (a short flight).
    static func nearbyCountry(from home: String, using random: inout SeededRandom) -> String {
        let continent = Continent.of(home) ?? .europe
        let others = continent.countries.filter { $0 != home }
        return others.isEmpty ? Self.distantCountry(from: home, using: &random) : random.pick(others)
    }

    /// A public-looking IPv4 address (never loopback or 10/8).
    static func ipAddress(using random: inout SeededRandom) -> String {
        var first = 11 + random.nextInt(below: 212)
        if first == 127 { first = 128 }
        return "\(first).\(random.nextInt(below: 256)).\(random.nextInt(below: 256)).\(1 + random.nextInt(below: 254))"
    }

    /// A device fingerprint; 15 characters so Swift stores it inline.
    static func deviceID(using random: inout SeededRandom) -> String {
        "dev-" + random.nextHex(count: 11)
    }
}
