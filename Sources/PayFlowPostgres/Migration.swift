import Foundation

/// One `db/NNNN_description.sql` file, read and checksummed.
struct Migration: Sendable {
    /// The numeric prefix; migrations apply in this order.
    let version: Int
    /// The part after the underscore, without `.sql`, e.g. `processed_events`.
    let name: String
    /// The file name, for messages a human can act on.
    let fileName: String
    let sql: String
    let checksum: String

    /// All `*.sql` files of `directory`, sorted by version. A `.sql` file whose name does not
    /// follow `NNNN_description.sql`, or two files with the same number, are errors rather than
    /// being skipped: a silently ignored migration is worse than a refused deploy.
    static func load(from directory: URL) throws -> [Migration] {
        let fileNames: [String]
        do {
            fileNames = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresError(
                code: .migration,
                message: "cannot list migration directory \(directory.path): \(error.localizedDescription)"
            )
        }
        var migrations: [Migration] = []
        for fileName in fileNames where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"),
                let version = Int(stem[..<underscore]),
                version >= 0, version <= Int(Int32.max),
                stem[stem.index(after: underscore)...].isEmpty == false
            else {
                throw PostgresError(
                    code: .migration,
                    message: "migration file \(fileName) is not named NNNN_description.sql"
                )
            }
            let url = directory.appendingPathComponent(fileName)
            let bytes: Data
            do {
                bytes = try Data(contentsOf: url)
            } catch {
                throw PostgresError(code: .migration, message: "cannot read \(url.path): \(error.localizedDescription)")
            }
            guard let sql = String(data: bytes, encoding: .utf8) else {
                throw PostgresError(code: .migration, message: "migration file \(fileName) is not valid UTF-8")
            }
            migrations.append(
                Migration(
                    version: version,
                    name: String(stem[stem.index(after: underscore)...]),
                    fileName: fileName,
                    sql: sql,
                    checksum: Self.checksum(bytes)
                )
            )
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw PostgresError(
                code: .migration,
                message: "migrations \(previous.fileName) and \(next.fileName) share version \(next.version)"
            )
        }
        return migrations
    }

    /// FNV-1a (64 bit) over the file's bytes, as 16 hex digits. For drift detection (was an
    /// applied file edited?), not security: anyone who can edit the file can run SQL anyway.
    static func checksum(_ bytes: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
