import AsyncKit
import FluentKit
import SQLKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Where the data lives: an SQLite file (the embedded default) or a PostgreSQL server.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqliteFile(String)
    case sqliteMemory
    case postgres(URL)

    /// Parses `sqlite://PATH`, `sqlite::memory:`, `postgres://…` or `postgresql://…`.
    public init(url text: String) throws(StoreError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "sqlite::memory:" || t == "sqlite://:memory:" {
            self = .sqliteMemory
        } else if t.hasPrefix("sqlite://") {
            let path = String(t.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw .configuration("DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://./data/alloresto.sqlite") }
            self = .sqliteFile(path)
        } else if t.hasPrefix("postgres://") || t.hasPrefix("postgresql://") {
            guard let url = URL(string: t), url.host != nil else {
                throw .configuration("DATABASE_URL: \"\(DatabaseLocation.redact(t))\" is not a valid postgres://user:pass@host:port/db URL")
            }
            self = .postgres(url)
        } else {
            throw .configuration("DATABASE_URL: expected sqlite://PATH or postgres://user:pass@host:port/db, got \"\(DatabaseLocation.redact(t))\"")
        }
    }

    /// The URL with any password replaced, for logs.
    public static func redact(_ url: String) -> String {
        guard let at = url.range(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at.lowerBound else { return url }
        let creds = url[scheme.upperBound..<at.lowerBound]
        guard let colon = creds.firstIndex(of: ":") else { return url }
        return url.replacingCharacters(in: colon..<at.lowerBound, with: ":***")
    }

    public var description: String {
        switch self {
        case .sqliteFile(let p): "sqlite://\(p)"
        case .sqliteMemory: "sqlite::memory:"
        case .postgres(let u): DatabaseLocation.redact(u.absoluteString)
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }
}

extension DatabaseID {
    /// The read connection of an SQLite file database.
    static let sqliteRead = DatabaseID(string: "sqlite-read")
}

/// The store's error type: configuration problems and data faults, each with a message a person can act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case configuration(String)
    case notFound(String)
    case invalid(String)
    case secret(String)

    public var description: String {
        switch self {
        case .configuration(let m), .notFound(let m), .invalid(let m), .secret(let m): m
        }
    }
}

/// The opened database: Fluent's `Databases` plus the one handle the rest of the code uses.
public final class AlloRestoDatabase: Sendable {
    public let location: DatabaseLocation
    let databases: Databases
    let threadPool: NIOThreadPool
    let id: DatabaseID
    let eventLoop: any EventLoop
    /// SQLite file only: a second connection, on its own loop, for the hot read path. In WAL mode it reads the last
    /// committed state without waiting for the writer's transaction.
    let readEventLoop: (any EventLoop)?
    let ownedGroup: MultiThreadedEventLoopGroup?
    let logger: Logger
    let schema: String?

    /// Opens (creating the SQLite file's folder if needed) and runs every pending migration.
    /// `postgresSchema` puts every table in that schema (created if needed): tests use one schema each.
    public static func open(
        _ location: DatabaseLocation, postgresSchema: String? = nil, logger: Logger = Logger(label: "alloresto.store"), migrate: Bool = true,
        postgresConnectionsPerEventLoop: Int = 8, poolWaitLimit: TimeAmount = .seconds(10)
    ) async throws -> AlloRestoDatabase {
        let db = try AlloRestoDatabase(
            location: location, schema: postgresSchema, logger: logger, postgresConnections: postgresConnectionsPerEventLoop, poolWaitLimit: poolWaitLimit)
        do {
            try await db.configureConnection()
            if migrate { try await db.migrate() }
        } catch {
            await db.close()
            throw error
        }
        return db
    }

    /// `poolWaitLimit`: how long a request waits for a connection (SQLite's single one, or one of PostgreSQL's pool)
    /// before failing with a pool timeout (`isPoolTimeout`: the server answers 503 and Retry-After).
    private init(location: DatabaseLocation, schema: String?, logger: Logger, postgresConnections: Int, poolWaitLimit: TimeAmount) throws {
        self.location = location
        self.logger = logger
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        threadPool = pool
        switch location {
        case .sqliteFile, .sqliteMemory:
            // SQLite allows one writer: a single connection on a single loop serializes transactions instead of
            // failing them with SQLITE_BUSY.
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            ownedGroup = group
            let loops = Array(group.makeIterator())
            eventLoop = loops[0]
            databases = Databases(threadPool: pool, on: group)
            let storage: SQLiteConfiguration.Storage
            if case .sqliteFile(let path) = location {
                let dir = (path as NSString).deletingLastPathComponent
                if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
                storage = .file(path: path)
            } else {
                storage = .memory
            }
            let config = SQLiteConfiguration(storage: storage, enableForeignKeys: true)
            databases.use(.sqlite(config, connectionPoolTimeout: poolWaitLimit, sqlLogLevel: nil), as: .sqlite)
            if case .sqliteFile = location {
                databases.use(.sqlite(config, connectionPoolTimeout: poolWaitLimit, sqlLogLevel: nil), as: .sqliteRead, isDefault: false)
                readEventLoop = loops[1]
            } else {
                // An in-memory database exists once per connection: everything goes through the one connection.
                readEventLoop = nil
            }
            id = .sqlite
            self.schema = nil
        case .postgres(let url):
            readEventLoop = nil
            ownedGroup = nil
            eventLoop = MultiThreadedEventLoopGroup.singleton.any()
            databases = Databases(threadPool: pool, on: MultiThreadedEventLoopGroup.singleton)
            var config = try SQLPostgresConfiguration(url: url)
            if let schema { config.searchPath = [schema] }
            self.schema = schema
            databases.use(.postgres(configuration: config, maxConnectionsPerEventLoop: postgresConnections, connectionPoolTimeout: poolWaitLimit,
                                    sqlLogLevel: .trace), as: .psql)
            id = .psql
        }
    }

    /// Whether `error` is a request that waited `poolWaitLimit` for a connection and got none: the database is
    /// overloaded (every connection busy), not broken — the request may be tried again.
    public static func isPoolTimeout(_ error: any Error) -> Bool { error is ConnectionPoolTimeoutError }

    /// The database handle for queries and transactions.
    public var db: any Database {
        databases.database(id, logger: logger, on: location.isPostgres ? MultiThreadedEventLoopGroup.singleton.any() : eventLoop)!
    }

    /// The handle for reads that may see the last committed state (the per-call lookup); the write handle
    /// everywhere but an SQLite file.
    public var readDB: any Database {
        guard let loop = readEventLoop else { return db }
        return databases.database(.sqliteRead, logger: logger, on: loop)!
    }

    private func configureConnection() async throws {
        if let schema, let sql = db as? any SQLDatabase {
            guard schema.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw StoreError.configuration("schema: letters, digits and _ only") }
            try await sql.raw("CREATE SCHEMA IF NOT EXISTS \(unsafeRaw: schema)").run()
        }
        guard case .sqliteFile = location, let sql = db as? any SQLDatabase else { return }
        // WAL lets readers proceed during a write; NORMAL sync is durable across application crashes.
        try await sql.raw("PRAGMA journal_mode=WAL").run()
        try await sql.raw("PRAGMA synchronous=NORMAL").run()
        try await sql.raw("PRAGMA busy_timeout=5000").run()
        if let reader = readDB as? any SQLDatabase { try await reader.raw("PRAGMA busy_timeout=5000").run() }
    }

    /// Runs the migrations not yet applied, as one batch, and says so in one line (`database migrated`, with how
    /// many); the ORM's per-migration lines are kept for `LOG_LEVEL=debug`.
    public func migrate() async throws {
        let migrations = Migrations()
        migrations.add(AlloRestoMigrations.all)
        var quiet = logger
        quiet.logLevel = logger.logLevel <= .debug ? logger.logLevel : .notice
        let migrator = Migrator(databases: databases, migrations: migrations, logger: quiet, on: eventLoop)
        try await migrator.setupIfNeeded().get()
        let pending = try await migrator.previewPrepareBatch().get()
        try await migrator.prepareBatch().get()
        if !pending.isEmpty { logger.info("database migrated", metadata: ["applied": "\(pending.count)", "last": "\(pending.last.map { String(describing: type(of: $0.0)) } ?? "")"]) }
    }

    /// Drops every table (tests only use this to start from an empty PostgreSQL database).
    public func revertAll() async throws {
        let migrations = Migrations()
        migrations.add(AlloRestoMigrations.all)
        let migrator = Migrator(databases: databases, migrations: migrations, logger: logger, on: eventLoop)
        try await migrator.setupIfNeeded().get()
        try await migrator.revertAllBatches().get()
    }

    /// Runs one administrative SQL statement outside any transaction (e.g. `CREATE DATABASE` for tests).
    public func raw(_ statement: String) async throws {
        guard let sql = db as? any SQLDatabase else { throw StoreError.configuration("not an SQL database") }
        try await sql.raw("\(unsafeRaw: statement)").run()
    }

    /// Drops this database's private PostgreSQL schema (tests clean up with it).
    public func dropSchema() async throws {
        guard let schema, let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DROP SCHEMA IF EXISTS \(unsafeRaw: schema) CASCADE").run()
    }

    public func close() async {
        await databases.shutdownAsync()
        try? await threadPool.shutdownGracefully()
        try? await ownedGroup?.shutdownGracefully()
    }
}
