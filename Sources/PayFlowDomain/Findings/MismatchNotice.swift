/// An entry of `payflow:mismatches`: the contract between reconciliation,
/// which writes it (through ``fields``), and the services downstream, which
/// read it (through ``init(fields:)``). `kind` stays text for the same reason
/// as ``AlertNotice/rule``; its values are ``MismatchKind`` raw values.
public struct MismatchNotice: Sendable, Hashable {
    /// Stable per (transaction, kind): one mismatch whatever the redeliveries.
    public var mismatchID: String
    public var kind: String
    public var transactionID: String
    /// What the ledger says, and what the stream said (empty when absent).
    public var expected: String
    public var actual: String
    public var detectedAt: EventTimestamp

    public init(mismatchID: String, kind: String, transactionID: String, expected: String, actual: String, detectedAt: EventTimestamp) {
        self.mismatchID = mismatchID
        self.kind = kind
        self.transactionID = transactionID
        self.expected = expected
        self.actual = actual
        self.detectedAt = detectedAt
    }

    // MARK: - Writing

    /// The entry's flat fields, in a fixed order.
    public var fields: [(name: String, value: String)] {
        [
            ("mismatch_id", self.mismatchID),
            ("kind", self.kind),
            ("transaction_id", self.transactionID),
            ("expected", self.expected),
            ("actual", self.actual),
            ("detected_at", self.detectedAt.description),
        ]
    }

    // MARK: - Reading

    static let fieldNames: Set<String> = ["mismatch_id", "kind", "transaction_id", "expected", "actual", "detected_at"]

    public init(fields: [(name: String, value: String)]) throws(EventDecodingError) {
        let values = try FlatFields(fields, allowed: Self.fieldNames)
        var all: [String: String] = [:]
        for (name, value) in fields { all[name] = value }
        self.init(
            mismatchID: try values.required("mismatch_id"),
            kind: try values.required("kind"),
            transactionID: try values.required("transaction_id"),
            // `expected`/`actual` are legitimately empty (a missing row has no values).
            expected: all["expected"] ?? "",
            actual: all["actual"] ?? "",
            detectedAt: try values.time("detected_at")
        )
    }
}
