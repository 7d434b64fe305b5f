import FluentKit
import Foundation

/// The record of each call sip-agent-server reports at its end (`POST /api/calls`), kept once per call id, and
/// the phone-side lookups that go with calls: blocked numbers, the lines the SIP bridge registers.
public enum CallLog {
    /// Keeps `row` unless a record with its call id exists (a resend, or two arriving at once): the first one is
    /// kept. Returns the kept record's id and whether this one was a duplicate.
    public static func record(_ row: CallRecord, on db: any Database) async throws -> (id: UUID, duplicate: Bool) {
        if let existing = try await byCallId(row.callId, on: db), let id = existing.id { return (id, true) }
        do {
            try await row.create(on: db)
        } catch {
            if let existing = try await byCallId(row.callId, on: db), let id = existing.id { return (id, true) }
            throw error
        }
        return (try row.requireID(), false)
    }

    static func byCallId(_ callId: String, on db: any Database) async throws -> CallRecord? {
        try await CallRecord.query(on: db).filter(\.$callId == callId).first()
    }

    /// The restaurant's latest call records, newest first.
    public static func recent(restaurantId: UUID, limit: Int, on db: any Database) async throws -> [CallRecord] {
        try await CallRecord.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$createdAt, .descending).limit(limit).all()
    }

    /// Whether the restaurant blocked this E.164 number.
    public static func isBlocked(restaurantId: UUID, phone: String, on db: any Database) async throws -> Bool {
        try await RestaurantBook.block(of: phone, restaurantId: restaurantId, on: db) != nil
    }

    /// Each active restaurant (by name) with its newest active phone line; restaurants without one are left out.
    /// Two queries whatever the number of restaurants (`Reports.restaurantsAndActiveLines`).
    public static func activeLines(on db: any Database) async throws -> [(restaurant: Restaurant, line: PhoneLine)] {
        let (restaurants, lines) = try await Reports.restaurantsAndActiveLines(on: db)
        var newest: [UUID: PhoneLine] = [:]
        for line in lines where newest[line.$restaurant.id] == nil { newest[line.$restaurant.id] = line }  // newest first
        return restaurants.filter(\.isActive).sorted { $0.name < $1.name }.compactMap { r in r.id.flatMap { newest[$0] }.map { (r, $0) } }
    }
}
