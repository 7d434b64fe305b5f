import AlloRestoCore
import Crypto
import FluentKit
import SQLKit
import Foundation

/// Makes a write tool call happen once: the first result is stored under a unique key in the same transaction as
/// the write, so a repeated call (retry after a timeout, the model re-issuing it after a barge-in) gets that result
/// back and creates nothing — across restarts and replicas, since the database enforces the key.
public enum IdempotencyLedger {
    /// The key of a tool call: `call|<restaurant>|<callId>|<tool>|<digest>`, or without a call id
    /// `win|<restaurant>|<phone>|<tool>|<digest>|<2-minute window>`. The digest is of the call's meaning (the
    /// normalized arguments), so a reworded repeat is the same call. The restaurant is part of both, so one
    /// restaurant's answer can never be replayed to another.
    /// Without a call id nor a phone, callers cannot be told apart: the key is unique (no replay), so two
    /// anonymous callers placing the same order never share one.
    public static func keys(callId: String?, restaurantId: UUID, phone: String?, tool: String, digest: String, now: Date) -> [String] {
        if let key = callKey(callId: callId, restaurantId: restaurantId, tool: tool, digest: digest) { return [key] }
        guard let phone, !phone.isEmpty else { return ["once|\(restaurantId.uuidString.lowercased())|\(UUID().uuidString.lowercased())|\(tool)"] }
        // Without a call id, a short window: the current one and the previous one, so a retry that straddles a
        // window boundary is still recognized.
        let window = CheckedNumber.clamped(now.timeIntervalSince1970 / 120, rounding: .down, to: 0...1 << 50)
        return [window, window - 1].map { "win|\(restaurantId.uuidString.lowercased())|\(phone)|\(tool)|\(digest)|\($0)" }
    }

    /// The key of a call that has an id (it does not depend on the caller's phone); nil without one.
    public static func callKey(callId: String?, restaurantId: UUID, tool: String, digest: String) -> String? {
        guard let callId, !callId.isEmpty else { return nil }
        return "call|\(restaurantId.uuidString.lowercased())|\(callId)|\(tool)|\(digest)"
    }

    /// SHA-256 of the arguments that define the call (canonical JSON: sorted keys).
    public static func digest(_ canonicalJSON: Data) -> String {
        Hex.lowercase(SHA256.hash(data: canonicalJSON).prefix(16))
    }

    public static func stored(_ keys: [String], on db: any Database) async throws -> String? {
        guard !keys.isEmpty else { return nil }
        guard let sql = db as? any SQLDatabase else {
            let record: IdempotencyRecord? = try await IdempotencyRecord.query(on: db).filter(\.$key ~~ keys).first()
            return record?.response
        }
        // Raw SQL: this runs before every write tool call, while the caller waits.
        return try await sql.raw("SELECT response FROM idempotency_keys WHERE key IN (\(binds: keys)) LIMIT 1")
            .first()?.decode(column: "response", as: String.self)
    }

    public enum Outcome: Sendable {
        /// The write ran now (its result is recorded when `write` asked for it).
        case fresh(String)
        /// The first result of the same call, returned again; nothing was written.
        case replayed(String)

        public var response: String {
            switch self {
            case .fresh(let r), .replayed(let r): r
            }
        }
    }

    /// Runs `write` in a transaction unless one of `keys` already holds a result. `write` returns the JSON response
    /// and whether to record it. A concurrent duplicate that loses the race on the unique key is rolled back and
    /// answered with the winner's result.
    public static func once(
        keys: [String], restaurantId: UUID, tool: String, on db: any Database,
        _ write: @escaping @Sendable (any Database) async throws -> (response: String, record: Bool)
    ) async throws -> Outcome {
        if let previous = try await stored(keys, on: db) { return .replayed(previous) }
        do {
            let response = try await db.transaction { tx in
                let (response, record) = try await write(tx)
                if record {
                    let r = IdempotencyRecord()
                    r.$restaurant.id = restaurantId
                    r.key = keys[0]
                    r.tool = tool
                    r.response = response
                    try await r.create(on: tx)
                }
                return response
            }
            return .fresh(response)
        } catch {
            guard (error as? any DatabaseError)?.isConstraintFailure == true else { throw error }
            if let previous = try await stored(keys, on: db) { return .replayed(previous) }
            throw error
        }
    }
}
