/// PostgreSQL array literals (`{"a","b"}`) for passing a whole batch as one
/// bound parameter (`$1::text[]`), so a batch is one statement with a fixed
/// number of parameters whatever its size, and `unnest` turns it back into rows.
enum PostgresArrayLiteral {
    /// Every element double-quoted, with `"` and `\` escaped: safe for any text.
    static func text(_ values: some Sequence<String>) -> String {
        "{" + values.map { value in
            var quoted = "\""
            for character in value {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            quoted.append("\"")
            return quoted
        }.joined(separator: ",") + "}"
    }

    /// Integers need no quoting.
    static func integers(_ values: some Sequence<Int64>) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }
}
