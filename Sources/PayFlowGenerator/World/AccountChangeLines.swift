/// A batch's changed accounts as one text value
/// (`generator_world_account_changes.states`, `db/0026`): one line per
/// account, `<index> TAB <state JSON>`, the lines joined by newlines.
///
/// Why one text value rather than arrays of indexes and states: PostgreSQL
/// stores a text parameter as it comes, where an array would be parsed
/// element by element, every batch; the lines are only read back when a
/// world is folded or restored, by ``lay(_:over:)``. A state is written by
/// ``CheckpointJSON``, which escapes every control character, so it holds
/// neither separator.
enum AccountChangeLines {
    static func text(_ accounts: [(index: Int, state: String)]) -> String {
        var text = ""
        text.reserveCapacity(accounts.reduce(0) { $0 + $1.state.utf8.count + 8 })
        for (position, account) in accounts.enumerated() {
            if position > 0 { text += "\n" }
            text += String(account.index)
            text += "\t"
            text += account.state
        }
        return text
    }

    /// Lays the accounts of `text` over `states`: each line's state replaces
    /// what `states` held for its account.
    ///
    /// A byte scan over the text's UTF-8: a fold reads some 64 batches of
    /// these, and `split` over a `String.UTF8View` was most of the
    /// generator's CPU in a fold (measured).
    static func lay(_ text: String, over states: inout [Int: String]) throws(WorldStoreError) {
        let failure = Array(text.utf8).withUnsafeBufferPointer { bytes -> WorldStoreError? in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                var index = 0
                var position = start
                while position < end, let digit = Self.digit(bytes[position]), index < Int.max / 10 - 9 {
                    index = index * 10 + digit
                    position += 1
                }
                guard position > start, position < end, bytes[position] == UInt8(ascii: "\t") else {
                    let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<min(end, start + 40)]), as: UTF8.self)
                    return WorldStoreError("generator_world_account_changes.states has a line without an account index: \(line)")
                }
                states[index] = String(decoding: UnsafeBufferPointer(rebasing: bytes[(position + 1)..<end]), as: UTF8.self)
                start = end + 1
            }
            return nil
        }
        if let failure { throw failure }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }
}
