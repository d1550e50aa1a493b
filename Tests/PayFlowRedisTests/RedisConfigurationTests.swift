import PayFlowRedis
import Testing

@Suite("REDIS_URL parsing")
struct RedisConfigurationTests {
    @Test func readsHostPortAndDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://cache.internal:6380/4")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.database == 4)
        #expect(configuration.password == nil)
    }

    @Test func readsPasswordAloneAndUserWithPassword() throws {
        let passwordOnly = try RedisConfiguration(url: "redis://:s%40cret@127.0.0.1:6379")
        #expect(passwordOnly.username == nil)
        #expect(passwordOnly.password == "s@cret")
        let withUser = try RedisConfiguration(url: "redis://payflow:pw@127.0.0.1/2")
        #expect(withUser.username == "payflow")
        #expect(withUser.password == "pw")
        #expect(withUser.port == 6379)
        #expect(withUser.database == 2)
    }

    @Test(arguments: ["http://127.0.0.1:6379", "redis://127.0.0.1:99999", "redis://127.0.0.1:6379/x", "redis://", "redis://host:abc"])
    func rejectsMalformedURLs(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        do {
            _ = try RedisConfiguration(url: url)
        } catch {
            #expect(error.code == .badURL)
        }
    }

    @Test func parsesStreamEntryIDs() {
        #expect(StreamEntryID("1700000000000-7") == StreamEntryID(milliseconds: 1_700_000_000_000, sequence: 7))
        #expect(StreamEntryID("17-") == nil)
        #expect(StreamEntryID("abc") == nil)
        #expect(StreamEntryID("1-2")! < StreamEntryID("1-10")!)
        #expect(StreamEntryID("2-0")! > StreamEntryID("1-99")!)
        // Parsed digit by digit: every malformed shape is refused, the largest ids are kept.
        for malformed in ["", "-", "-1", "1--2", "1-2-3", "1-x", " 1-2", "1-2 ", "1.5-2", "18446744073709551616-0", "0-18446744073709551616"] {
            #expect(StreamEntryID(malformed) == nil, "\(malformed)")
        }
        #expect(StreamEntryID("18446744073709551615-18446744073709551615") == StreamEntryID(milliseconds: .max, sequence: .max))
        #expect(StreamEntryID("0-0") == .zero)
        for _ in 0..<1_000 {
            let id = StreamEntryID(milliseconds: .random(in: 0...UInt64.max), sequence: .random(in: 0...UInt64.max))
            #expect(StreamEntryID(id.description) == id)
        }
    }
}
