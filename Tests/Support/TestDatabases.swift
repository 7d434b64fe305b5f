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

    /// A fresh, empty PostgreSQL database for processes that only take a URL (the built binary, several replicas
    /// on one database); `drop` removes it.
    public static func freshPostgresDatabase() async throws -> (url: String, drop: @Sendable () async -> Void) {
        guard let base = postgresURL, var parts = URLComponents(string: base) else { throw Missing() }
        let name = "alloresto_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let admin = try await AlloRestoDatabase.open(try DatabaseLocation(url: base), migrate: false, postgresConnectionsPerEventLoop: 1)
        defer { Task { await admin.close() } }
        try await admin.raw("CREATE DATABASE \(name)")
        parts.path = "/" + name
        let url = parts.string!
        return (url, {
            guard let again = try? await AlloRestoDatabase.open(try DatabaseLocation(url: base), migrate: false, postgresConnectionsPerEventLoop: 1) else { return }
            try? await again.raw("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            await again.close()
        })
    }

    /// PostgreSQL test databases open at once: the whole suite runs in parallel, and a test server accepts 100
    /// connections by default (each test database holds up to 4 per event loop).
    static let postgresGate = AsyncGate(limit: 8)

    /// Opens a fresh, migrated database of that kind (a private schema on PostgreSQL), runs the body, cleans up.
    public static func with<T>(_ kind: String, _ body: (AlloRestoDatabase) async throws -> T) async throws -> T {
        let db: AlloRestoDatabase
        if kind == "postgres" {
            guard let url = postgresURL else { throw Missing() }
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            await postgresGate.acquire()
            do {
                db = try await AlloRestoDatabase.open(try DatabaseLocation(url: url), postgresSchema: String(schema), postgresConnectionsPerEventLoop: 4,
                                                     poolWaitLimit: .seconds(60))
            } catch {
                await postgresGate.release()
                throw error
            }
            do {
                let result = try await body(db)
                try? await db.dropSchema()
                await db.close()
                await postgresGate.release()
                return result
            } catch {
                try? await db.dropSchema()
                await db.close()
                await postgresGate.release()
                throw error
            }
        } else {
            // Every request of a test app shares SQLite's one connection; with the whole suite on two cores, 50
            // concurrent requests can queue longer than the production wait limit (10 s) without any fault.
            db = try await AlloRestoDatabase.open(.sqliteMemory, poolWaitLimit: .seconds(60))
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

/// An async counting semaphore: waiters suspend, never block a thread.
actor AsyncGate {
    private let limit: Int
    private var taken = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func acquire() async {
        if taken < limit {
            taken += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { taken -= 1 } else { waiting.removeFirst().resume() }
    }
}
