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

    /// The version of the ledger's stored form: `{"v":1,"outcome":…}`, the typed first result as JSON.
    public static let version = 1

    struct Envelope<Outcome> {
        var v: Int
        var outcome: Outcome
    }

    struct Version: Decodable { var v: Int? }

    /// The stored form of a first result (versioned JSON of the typed outcome, not the HTTP answer).
    static func encode<Outcome: Encodable>(_ outcome: Outcome) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .secondsSince1970  // exact: a replay words the same instants
        return String(decoding: try encoder.encode(Envelope(v: version, outcome: outcome)), as: UTF8.self)
    }

    /// A stored first result read back: the typed outcome of this version, or — for an answer stored before typed
    /// outcomes, as the HTTP body sent — that body as it is. Another version is a fault (a newer replica's record).
    static func decode<Outcome: Decodable & Sendable>(_ text: String, as type: Outcome.Type) throws -> Recorded<Outcome> {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let v = (try? decoder.decode(Version.self, from: Data(text.utf8)))?.v else { return .replayedAsSent(text) }
        guard v == version else { throw StoreError.invalid("idempotency record of version \(v), this build reads \(version)") }
        return .replayed(try decoder.decode(Envelope<Outcome>.self, from: Data(text.utf8)).outcome)
    }

    /// The first result recorded under one of `keys`, if any (read before a write, while the caller waits).
    public static func stored<Outcome: Decodable & Sendable>(_ keys: [String], as type: Outcome.Type, on db: any Database) async throws -> Recorded<Outcome>? {
        try await storedText(keys, on: db).map { try decode($0, as: type) }
    }

    static func storedText(_ keys: [String], on db: any Database) async throws -> String? {
        guard !keys.isEmpty else { return nil }
        guard let sql = db as? any SQLDatabase else {
            let record: IdempotencyRecord? = try await IdempotencyRecord.query(on: db).filter(\.$key ~~ keys).first()
            return record?.response
        }
        // Raw SQL: this runs before every write tool call, while the caller waits.
        return try await sql.raw("SELECT response FROM idempotency_keys WHERE key IN (\(binds: keys)) LIMIT 1")
            .first()?.decode(column: "response", as: String.self)
    }

    /// Runs `write` in a transaction unless one of `keys` already holds a result. A kept result is recorded under
    /// the first key in the same transaction; a refusal is not (a retry may succeed). A concurrent duplicate that
    /// loses the race on the unique key is rolled back and answered with the winner's result.
    static func once<Kept: Codable & Sendable, Refused: Sendable>(
        keys: [String], restaurantId: UUID, tool: ToolName, on db: any Database,
        _ write: @escaping @Sendable (any Database) async throws -> Written<Kept, Refused>
    ) async throws -> Written<Recorded<Kept>, Refused> {
        if let previous = try await stored(keys, as: Kept.self, on: db) { return .kept(previous) }
        do {
            return try await db.transaction { tx in
                switch try await write(tx) {
                case .refused(let refusal): return .refused(refusal)
                case .kept(let outcome):
                    let r = IdempotencyRecord()
                    r.$restaurant.id = restaurantId
                    r.key = keys[0]
                    r.tool = tool.rawValue
                    r.response = try encode(outcome)
                    try await r.create(on: tx)
                    return .kept(.fresh(outcome))
                }
            }
        } catch {
            guard (error as? any DatabaseError)?.isConstraintFailure == true else { throw error }
            if let previous = try await stored(keys, as: Kept.self, on: db) { return .kept(previous) }
            throw error
        }
    }
}

/// What a write made once gave: a result kept (recorded, replayed to a repeat) or a refusal (not recorded: the
/// same call tried again may succeed).
public enum Written<Kept: Sendable, Refused: Sendable>: Sendable {
    case kept(Kept)
    case refused(Refused)
}

/// A kept result and whether it is new: written now, the first result of the same call given again, or — recorded
/// before typed outcomes — the first answer's body as it was sent.
public enum Recorded<Outcome: Sendable>: Sendable {
    case fresh(Outcome)
    case replayed(Outcome)
    case replayedAsSent(String)

    /// The outcome, new or replayed (nil for a body recorded as sent).
    public var outcome: Outcome? {
        switch self {
        case .fresh(let o), .replayed(let o): o
        case .replayedAsSent: nil
        }
    }

    /// Whether nothing was written now.
    public var isReplay: Bool { if case .fresh = self { false } else { true } }
}

extension IdempotencyLedger.Envelope: Encodable where Outcome: Encodable {}
extension IdempotencyLedger.Envelope: Decodable where Outcome: Decodable {}
