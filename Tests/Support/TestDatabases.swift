import AlloRestoStore
import Foundation

/// The databases a store test runs on: in-memory SQLite always, and PostgreSQL when `DATABASE_URL` (or
/// `TEST_DATABASE_URL`) names one. With `REQUIRE_POSTGRES=1` (as in CI) a missing PostgreSQL is a failure,
/// not a silent skip.
public enum TestDatabases {
    public struct Missing: Error, CustomStringConvertible {
        public let description = "REQUIRE_POSTGRES=1 but neither TEST_DATABASE_URL nor DATABASE_URL is a postgres:// URL"
    }

    public static var postgresURL: String? {
        let env = ProcessInfo.processInfo.environment
        for name in ["TEST_DATABASE_URL", "DATABASE_URL"] {
            if let v = env[name], v.hasPrefix("postgres") { return v }
        }
        return nil
    }

    /// The kinds to run on, for parameterized tests: `["sqlite", "postgres"]` when PostgreSQL is available.
    public static var kinds: [String] {
        postgresURL != nil || ProcessInfo.processInfo.environment["REQUIRE_POSTGRES"] == "1" ? ["sqlite", "postgres"] : ["sqlite"]
    }

    /// Opens a fresh, migrated database of that kind (a private schema on PostgreSQL), runs the body, cleans up.
    public static func with<T>(_ kind: String, _ body: (AlloRestoDatabase) async throws -> T) async throws -> T {
        let db: AlloRestoDatabase
        if kind == "postgres" {
            guard let url = postgresURL else { throw Missing() }
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            db = try await AlloRestoDatabase.open(try DatabaseLocation(url: url), postgresSchema: String(schema))
        } else {
            db = try await AlloRestoDatabase.open(.sqliteMemory)
        }
        do {
            let result = try await body(db)
            try? await db.dropSchema()
            await db.close()
            return result
        } catch {
            try? await db.dropSchema()
            await db.close()
            throw error
        }
    }

    public static let testKeyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
}
