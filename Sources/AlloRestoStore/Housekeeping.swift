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

    /// Deletes, as of `now`: idempotency answers older than `idempotencyRetention`, sessions past their expiry,
    /// e-mail links expired or used more than `linkRetention` ago. Each table in one statement.
    public static func sweep(now: Date, on db: any Database) async throws -> Swept {
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("housekeeping needs an SQL database") }
        var swept = Swept()
        swept.idempotencyAnswers = try await sql.raw("""
            DELETE FROM idempotency_keys WHERE created_at < \(bind: now.addingTimeInterval(-idempotencyRetention)) RETURNING id
            """).all().count
        swept.sessions = try await sql.raw("DELETE FROM admin_sessions WHERE expires_at < \(bind: now) RETURNING id").all().count
        let old = now.addingTimeInterval(-linkRetention)
        swept.links = try await sql.raw("""
            DELETE FROM account_tokens WHERE expires_at < \(bind: old) OR used_at < \(bind: old) RETURNING id
            """).all().count
        return swept
    }
}
