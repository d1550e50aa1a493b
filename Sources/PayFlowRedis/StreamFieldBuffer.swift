/// The field names and values of one or more stream entries, as the bytes
/// Redis sent, back to back in one array, with where each string ends.
///
/// One reply of `XREADGROUP` fills one buffer for all its entries: two
/// allocations per batch instead of an array and a string per field, and no
/// UTF-8 validation until a service reads a field (``StreamEntry``). Entries
/// share it by reference; it is immutable once made, hence `Sendable`.
final class StreamFieldBuffer: Sendable {
    private let bytes: [UInt8]
    /// `ends[i]` is where string `i` ends; it starts where string `i - 1` ends (0 for the first).
    private let ends: [Int]

    init(bytes: [UInt8], ends: [Int]) {
        self.bytes = bytes
        self.ends = ends
    }

    convenience init(_ fields: [(name: String, value: String)]) {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        ends.reserveCapacity(fields.count * 2)
        for field in fields {
            bytes.append(contentsOf: field.name.utf8)
            ends.append(bytes.count)
            bytes.append(contentsOf: field.value.utf8)
            ends.append(bytes.count)
        }
        self.init(bytes: bytes, ends: ends)
    }

    private func range(of index: Int) -> Range<Int> {
        (index == 0 ? 0 : self.ends[index - 1])..<self.ends[index]
    }

    func string(at index: Int) -> String {
        let range = self.range(of: index)
        return self.bytes.withUnsafeBufferPointer { all in
            String(decoding: UnsafeBufferPointer(rebasing: all[range]), as: UTF8.self)
        }
    }

    func withBytes<Result>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let range = self.range(of: index)
        return self.bytes.withUnsafeBufferPointer { all in body(UnsafeBufferPointer(rebasing: all[range])) }
    }

    func bytesEqual(at index: Int, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        self.withBytes(at: index) { mine in mine.elementsEqual(other) }
    }
}
