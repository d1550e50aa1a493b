import PayFlowPostgres
import PayFlowRedis

extension PostgresArrayLiteral.Builder {
    /// An entry id's text, `<milliseconds>-<sequence>`, which needs no
    /// quoting: spelled digit by digit, since the audit writer passes one per
    /// row twice per batch.
    mutating func append(entryID: StreamEntryID) {
        self.appendUnquoted { bytes in
            DecimalText.append(entryID.milliseconds, to: &bytes)
            bytes.append(UInt8(ascii: "-"))
            DecimalText.append(entryID.sequence, to: &bytes)
        }
    }
}
