import AlloRestoCore
import AlloRestoStore
import Foundation

/// Who answers which dialed number, for the bridge's incoming-call hook (`POST /api/sip/incoming`): every
/// restaurant's phone number and its active lines' usernames, kept by their normalised form (E.164 in the
/// restaurant's country) and as written. Read from the database at most every 30 s (on the clock of
/// `AppServices.now`), so a call never waits on a scan of the restaurants; blocked numbers are not kept here (they
/// are checked live, by index). A restaurant added or switched off is seen within 30 s.
actor IncomingDirectory {
    /// One restaurant reachable at a number.
    struct Entry: Sendable {
        let restaurantId: UUID
        let name: String
        let agentId: String?
        let country: String
        let active: Bool
        /// Reached through one of its lines' usernames (a closer match than the restaurant's published phone).
        let byLine: Bool
    }

    static let lifetime: TimeInterval = 30
    private var byNumber: [String: [Entry]] = [:]
    private var countries: Set<String> = []
    private var loadedAt: Date?
    private var loading: Task<Void, any Error>?

    /// The restaurant a dialed number belongs to: an active one before a switched-off one, a line's username
    /// before a published phone, then the lowest id (the same answer every time); nil for a number nobody has.
    func restaurant(dialed: String, now: Date, database: AlloRestoDatabase) async throws -> Entry? {
        if loadedAt.map({ now.timeIntervalSince($0) >= Self.lifetime || now < $0 }) ?? true { try await reload(now: now, database: database) }
        var keys: Set<String> = [dialed.lowercased()]
        for country in countries { if let e164 = PhoneNumber.normalize(dialed, defaultCountry: country) { keys.insert(e164) } }
        let found = keys.flatMap { byNumber[$0] ?? [] }
        return found.min { a, b in
            if a.active != b.active { return a.active }
            if a.byLine != b.byLine { return a.byLine }
            return a.restaurantId.uuidString < b.restaurantId.uuidString
        }
    }

    /// One load at a time: calls arriving meanwhile wait for it rather than scanning again.
    private func reload(now: Date, database: AlloRestoDatabase) async throws {
        if let loading { return try await loading.value }
        let task = Task { try await self.load(now: now, database: database) }
        loading = task
        defer { loading = nil }
        try await task.value
    }

    private func load(now: Date, database: AlloRestoDatabase) async throws {
        let (restaurants, lines) = try await Reports.restaurantsAndActiveLines(on: database.readDB)
        var map: [String: [Entry]] = [:]
        var seen: Set<String> = []
        let byId = Dictionary(restaurants.compactMap { r in r.id.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        func add(_ number: String?, _ r: Restaurant, byLine: Bool) {
            guard let number, !number.isEmpty, let id = r.id else { return }
            let entry = Entry(restaurantId: id, name: r.name, agentId: r.agentId, country: r.country, active: r.isActive, byLine: byLine)
            var keys: Set<String> = [number.lowercased()]
            if let e164 = PhoneNumber.normalize(number, defaultCountry: r.country) { keys.insert(e164) }
            for key in keys { map[key, default: []].append(entry) }
        }
        for r in restaurants {
            seen.insert(r.country)
            add(r.phone, r, byLine: false)
        }
        for line in lines {
            guard let r = byId[line.$restaurant.id] else { continue }
            add(line.sipUsername, r, byLine: true)
        }
        byNumber = map
        countries = seen
        loadedAt = now
    }
}
