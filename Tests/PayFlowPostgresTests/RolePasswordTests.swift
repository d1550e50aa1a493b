import Foundation
import PayFlowPostgres
import PayFlowTestSupport
import Testing

/// Every login role of the servers of `scripts/local-servers` (what `make run`, the
/// tests, bench and soak run on) has a generated password and `pg_hba.conf` asks for
/// it (scram-sha-256): a role is an identity, not only a set of rights. Without
/// that, anyone reaching the port could log in as the audit-log role, or as the
/// owner, by naming it. The services themselves connect with their passwords: every
/// test that runs one (``ServiceRole``) shows that the right password is accepted.
@Suite("PostgreSQL: every role logs in with its own password only")
struct RolePasswordTests {
    /// `url` with `user` and `password` (nil: none at all).
    static func url(_ url: String, user: String, password: String?) throws -> String {
        var components = try #require(URLComponents(string: url))
        components.user = user
        components.password = password
        return try #require(components.string)
    }

    /// The refusal of connecting to `url`: the server's message, or nil when it let
    /// the connection in.
    static func refusal(_ url: String) async -> PostgresError? {
        do {
            let connection = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
            await connection.close()
            return nil
        } catch let error as PostgresError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func aServiceRoleWithoutItsPasswordOrWithAWrongOneIsRefused() async throws {
        let ownerURL = try await TestServers.databaseURL()
        let serviceURLs = try await TestServers.serviceURLs()
        for role in ServiceRole.allCases {
            // The role's own URL (urls.env) logs in as the role.
            let ownURL = role.databaseURL(from: ownerURL, environment: serviceURLs)
            let password = try #require(URLComponents(string: ownURL)?.password, "\(role.databaseURLVariable) is not set")
            let connection = try await PostgresConnection.connect(url: ownURL, logger: TestValues.quietLogger)
            #expect(try await connection.query("SELECT current_user").rows[0].decode(0, as: String.self) == role.rawValue)
            await connection.close()

            let withoutPassword = await Self.refusal(try Self.url(ownerURL, user: role.rawValue, password: nil))
            #expect(withoutPassword?.code == .connectionFailed, "\(role.rawValue) without a password: \(String(describing: withoutPassword))")
            #expect(withoutPassword?.message.contains("password") == true, "\(String(describing: withoutPassword))")

            let wrong = await Self.refusal(try Self.url(ownerURL, user: role.rawValue, password: password + "0"))
            #expect(wrong?.code == .connectionFailed, "\(role.rawValue) with a wrong password: \(String(describing: wrong))")
            #expect(wrong?.message.contains("password authentication failed") == true, "\(String(describing: wrong))")

            // Another service's password is a wrong one too.
            let other = try #require(ServiceRole.allCases.first { $0 != role })
            let borrowed = URLComponents(string: other.databaseURL(from: ownerURL, environment: serviceURLs))?.password
            let withBorrowed = await Self.refusal(try Self.url(ownerURL, user: role.rawValue, password: borrowed))
            #expect(withBorrowed?.code == .connectionFailed, "\(role.rawValue) with \(other.rawValue)'s password: \(String(describing: withBorrowed))")
        }
    }

    @Test func theOwnerAndTheSuperuserNeedTheirPasswordsToo() async throws {
        let ownerURL = try await TestServers.databaseURL()
        #expect(URLComponents(string: ownerURL)?.password?.isEmpty == false, "DATABASE_URL carries the owner's password")
        for user in ["payflow", "postgres"] {
            let withoutPassword = await Self.refusal(try Self.url(ownerURL, user: user, password: nil))
            #expect(withoutPassword?.code == .connectionFailed, "\(user) without a password: \(String(describing: withoutPassword))")
            let wrong = await Self.refusal(try Self.url(ownerURL, user: user, password: "payflow"))
            #expect(wrong?.code == .connectionFailed, "\(user) with a guessed password: \(String(describing: wrong))")
        }
    }
}
