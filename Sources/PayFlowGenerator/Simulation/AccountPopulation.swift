import PayFlowDomain

/// All simulated accounts, the merchants they shop at, and a sampler that
/// picks accounts in proportion to their activity.
///
/// Accounts live in an array indexed by their number (`acc-000042` is index
/// 41), so lookups need no dictionary and nothing depends on hash order.
struct AccountPopulation: Sendable {
    var accounts: [Account]
    /// Merchant ids `m-0001`…, indexed by the numbers accounts keep.
    let merchants: [String]
    /// Running sums of activity weights, for weighted picks by bisection.
    private let cumulativeWeights: [Double]
    /// Indices of blocked accounts, in the order they were blocked (an array,
    /// not a set, so picks from it replay exactly).
    private(set) var blocked: [Int] = []
    /// What every account id of this population starts with: `acc-` for the
    /// first world, `w<N>-acc-` for a later one (see ``WorldIdentity``), so two
    /// worlds on the same data never share an account.
    let accountPrefix: String

    static let merchantCount = 3_000
    static let defaultAccountPrefix = "acc-"

    init(size: Int, currencies: [Currency], accountPrefix: String = Self.defaultAccountPrefix, using random: inout SeededRandom) {
        self.accountPrefix = accountPrefix
        self.merchants = (1...Self.merchantCount).map { "m-" + Self.padded($0, width: 4) }
        let currencies = currencies.isEmpty ? [Currency.eur] : currencies
        var accounts: [Account] = []
        accounts.reserveCapacity(size)
        var cumulative: [Double] = []
        cumulative.reserveCapacity(size)
        var total = 0.0
        for number in 1...max(1, size) {
            let currency = random.pick(currencies)
            let habit = AmountModel.habitMedian(using: &random)
            let merchantCount = random.nextInt(in: 3...8)
            var usual: [Int] = []
            while usual.count < merchantCount {
                let merchant = Self.popularMerchant(using: &random)
                if !usual.contains(merchant) { usual.append(merchant) }
            }
            // Pareto with shape 1.6: mean ≈ 2.7, a few accounts 10–40× busier; capped so
            // that even the busiest stays under the clean velocity limit.
            let weight = min(40, random.nextPareto(scale: 1, shape: 1.6))
            accounts.append(Account(
                id: Self.accountID(number, prefix: accountPrefix),
                homeCountry: random.pick(Geography.homeCountries(for: currency)),
                currency: currency,
                usualMerchants: usual,
                device: Geography.deviceID(using: &random),
                ip: Geography.ipAddress(using: &random),
                habitMedian: habit,
                activityWeight: weight,
                balance: AmountModel.openingBalance(habit: habit, using: &random)
            ))
            total += weight
            cumulative.append(total)
        }
        self.accounts = accounts
        self.cumulativeWeights = cumulative
    }

    // MARK: - Identifiers

    /// The prefix (`acc-`) and the 1-based number, zero-padded to six digits.
    static func accountID(_ number: Int, prefix: String = Self.defaultAccountPrefix) -> String {
        prefix + Self.padded(number, width: 6)
    }

    /// The index of an account id, or nil if no such account exists.
    func index(of id: String) -> Int? {
        guard id.hasPrefix(self.accountPrefix) else { return nil }
        let digits = id.dropFirst(self.accountPrefix.count)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }),
              let number = Int(digits), (1...self.accounts.count).contains(number),
              Self.accountID(number, prefix: self.accountPrefix) == id
        else { return nil }
        return number - 1
    }

    private static func padded(_ value: Int, width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    // MARK: - Picking

    /// An account index, in proportion to activity weights.
    func weightedPick(using random: inout SeededRandom) -> Int {
        let target = random.nextDouble() * (self.cumulativeWeights.last ?? 0)
        var low = 0
        var high = self.cumulativeWeights.count - 1
        while low < high {
            let middle = (low + high) / 2
            if self.cumulativeWeights[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// A merchant index skewed towards the first ones: a few merchants are
    /// very popular, most are small.
    static func popularMerchant(using random: inout SeededRandom) -> Int {
        let u = random.nextDouble()
        return min(Self.merchantCount - 1, Int(Double(Self.merchantCount) * u * u))
    }

    // MARK: - Blocking

    mutating func block(_ index: Int) {
        guard !self.accounts[index].isBlocked else { return }
        self.accounts[index].isBlocked = true
        self.blocked.append(index)
    }

    mutating func unblock(_ index: Int) {
        guard self.accounts[index].isBlocked else { return }
        self.accounts[index].isBlocked = false
        self.blocked.removeAll { $0 == index }
    }

    // MARK: - Restoring

    /// Lays saved account states over the profiles the seed rebuilt, and the
    /// saved order of blocked accounts (picks from it must replay).
    mutating func restore(accounts saved: [Int: Account], blocked: [Int]) {
        for (index, account) in saved where self.accounts.indices.contains(index) {
            self.accounts[index] = account
        }
        self.blocked = blocked.filter { self.accounts.indices.contains($0) && self.accounts[$0].isBlocked }
    }
}
