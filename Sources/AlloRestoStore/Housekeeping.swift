import FluentKit
import Foundation
import SQLKit

/// Deletes what has outlived its use, so tables that grow with every call or login stay bounded: idempotency
/// answers past their retry horizon, expired back-office sessions, and e-mailed links long expired or used.
public enum Housekeeping {
    /// How long a tool call's first answer is kept for replays (a retry comes within seconds; a week covers a
    /// voice server replaying a day's webhooks after an outage).
    public static let idempotencyRetention: TimeInterval = 7 * 86_400
    /// How long an expired or used e-mail link is kept (so following it still says "expired" rather than "unknown").
    public static let linkRetention: TimeInterval = 30 * 86_400

    /// What one sweep deleted, per table.
    public struct Swept: Sendable, Equatable {
        public var idempotencyAnswers = 0
        public var sessions = 0
        public var links = 0
        public var total: Int { idempotencyAnswers + sessions + links }
    }

    /// Rows deleted per statement: a first sweep of a database that ran for months never holds the writer (SQLite's
    /// only one) for long; the rest goes in the next batches.
    public static let batch = 2000

    /// Deletes, as of `now`: idempotency answers older than `idempotencyRetention`, sessions past their expiry,
    /// e-mail links expired or used more than `linkRetention` ago — in batches of `batch` rows (at least 1).
    /// `sweep` stops early when its task is cancelled.
    public static func sweep(now: Date, batch: Int = Housekeeping.batch, on db: any Database) async throws -> Swept {
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("housekeeping needs an SQL database") }
        let size = max(1, batch)
        func drain(_ table: String, _ condition: SQLQueryString) async throws -> Int {
            var total = 0
            while true {
                let deleted = try await sql.raw("""
                    DELETE FROM \(unsafeRaw: table) WHERE id IN (SELECT id FROM \(unsafeRaw: table) WHERE \(condition) LIMIT \(unsafeRaw: String(size))) RETURNING id
                    """).all().count
                total += deleted
                if deleted < size || Task.isCancelled { return total }
            }
        }
        var swept = Swept()
        swept.idempotencyAnswers = try await drain("idempotency_keys", "created_at < \(bind: now.addingTimeInterval(-idempotencyRetention))")
        swept.sessions = try await drain("admin_sessions", "expires_at < \(bind: now)")
        let old = now.addingTimeInterval(-linkRetention)
        swept.links = try await drain("account_tokens", "expires_at < \(bind: old) OR used_at < \(bind: old)")
        return swept
    }
}
