/// A pick among a fixed list by relative weights, with one uniform draw: the
/// running sums are kept in the list's order (never a dictionary's, whose
/// order changes between processes), so a seed draws the same element.
///
/// An element of weight 0 is left out, so it is never drawn.
struct WeightedChoice<Element: Hashable & Sendable>: Sendable {
    private let cumulative: [(element: Element, sum: Double)]

    /// `weights` by element; elements of `elements` missing from it weigh 0.
    /// At least one weight must be positive (``GeneratorConfiguration/validate()``).
    init(_ elements: [Element], weights: [Element: Double]) {
        var cumulative: [(element: Element, sum: Double)] = []
        var total = 0.0
        for element in elements {
            let weight = weights[element] ?? 0
            guard weight > 0, weight.isFinite else { continue }
            total += weight
            cumulative.append((element, total))
        }
        precondition(!cumulative.isEmpty, "a weighted choice needs a positive weight")
        self.cumulative = cumulative
    }

    func draw(using random: inout SeededRandom) -> Element {
        let target = random.nextDouble() * self.cumulative[self.cumulative.count - 1].sum
        return self.cumulative.first { $0.sum > target }?.element ?? self.cumulative[self.cumulative.count - 1].element
    }
}
