/// The coarse geography impossible travel needs: which continent a country is
/// on. Two countries on one continent are reachable in a short flight, two
/// continents apart take hours; that distinction is all the rule uses, so a
/// small table beats a distance matrix. Countries not listed count as "same
/// continent", the lenient reading: an unknown code must not raise alerts.
enum Continents {
    static let unknown = "?"

    static func of(_ country: String) -> String {
        Self.table[country] ?? Self.unknown
    }

    private static let table: [String: String] = {
        let continents: [String: [String]] = [
            "europe": [
                "DE", "FR", "ES", "IT", "NL", "BE", "AT", "PT", "IE", "FI", "GB", "CH", "SE", "PL", "NO", "DK",
                "LU", "CZ", "SK", "HU", "RO", "BG", "GR", "HR", "SI", "EE", "LV", "LT", "IS", "MT", "CY",
            ],
            "north_america": ["US", "CA", "MX"],
            "south_america": ["BR", "AR", "CL", "CO", "PE", "UY", "VE", "EC", "BO", "PY"],
            "asia": ["JP", "CN", "IN", "SG", "KR", "TH", "VN", "ID", "MY", "PH", "HK", "TW", "AE", "IL", "TR", "SA"],
            "africa": ["ZA", "NG", "KE", "EG", "MA", "TN", "GH", "SN", "ET"],
            "oceania": ["AU", "NZ"],
        ]
        var table: [String: String] = [:]
        for (continent, countries) in continents {
            for country in countries { table[country] = continent }
        }
        return table
    }()
}
