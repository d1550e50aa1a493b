extension Duration {
    /// Redis takes timeouts and idle times as whole milliseconds.
    public var wholeMilliseconds: Int {
        let (seconds, attoseconds) = self.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
