import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import AsyncHTTPClient
import FluentKit
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Who may do what in the back office, asserted route by route: every page and API × every kind of account
/// (platform admin, owner, staff member, a restaurant's management key) × their own restaurant and another one.
/// The expected rights are written here from the product's rules (issue: roles), independently of `AccessRule`.
@Suite struct RoleMatrixTests {
    /// What a route needs, in the rules' words.
    enum Need: String, CaseIterable { case service, restaurant, secrets, keys, team, platform }

    struct Route: Sendable {
        let method: HTTPMethod
        /// `{rid}` is replaced by the restaurant's id.
        let path: String
        let body: JSONValue?
        let need: Need
        var page: Bool { !path.hasPrefix("/api/") }
    }

    /// Every back-office route (the agent's tool routes are tested elsewhere). Bodies are harmless: unknown ids and
    /// empty changes, so an allowed request answers 2xx, 404 or 422 — never 403.
    static let routes: [Route] = {
        var r: [Route] = []
        func add(_ m: HTTPMethod, _ p: String, _ b: JSONValue? = nil, _ n: Need) { r.append(Route(method: m, path: p, body: b, need: n)) }
        let none = "00000000-0000-4000-8000-000000000000"
        // The service: staff's pages and APIs.
        add(.GET, "/api/orders?restaurantId={rid}", nil, .service)
        add(.PATCH, "/api/orders", ["restaurantId": "{rid}", "id": .string(none), "status": "confirmed"], .service)
        add(.GET, "/api/reservations?restaurantId={rid}", nil, .service)
        add(.PATCH, "/api/reservations", ["restaurantId": "{rid}", "id": .string(none), "status": "seated"], .service)
        add(.GET, "/api/messages?restaurantId={rid}", nil, .service)
        add(.PATCH, "/api/messages", ["restaurantId": "{rid}", "id": .string(none), "isRead": true], .service)
        add(.DELETE, "/api/messages", ["restaurantId": "{rid}", "id": .string(none)], .service)
        add(.GET, "/api/faq?restaurantId={rid}", nil, .service)
        add(.PATCH, "/api/faq", ["restaurantId": "{rid}", "id": .string(none), "answer": "Oui."], .service)
        add(.DELETE, "/api/faq", ["restaurantId": "{rid}", "id": .string(none)], .service)
        add(.GET, "/api/customers?restaurantId={rid}", nil, .service)
        add(.GET, "/api/menu?restaurantId={rid}", nil, .service)
        add(.PATCH, "/api/menu", ["restaurantId": "{rid}", "id": .string(none), "isAvailable": false], .service)
        add(.GET, "/api/planning/timeline?restaurantId={rid}", nil, .service)
        add(.GET, "/api/planning/external-loads?restaurantId={rid}", nil, .service)
        add(.GET, "/api/planning/available-slots?restaurantId={rid}", nil, .service)
        for p in ["", "/orders", "/reservations", "/messages", "/faq", "/menu", "/kitchen"] { add(.GET, "/admin/r/{rid}" + p, nil, .service) }
        // "Plus de commandes ce soir" is the service's to switch; any other setting is the owner's.
        add(.PATCH, "/api/restaurants", ["restaurantId": "{rid}", "ordersPaused": false], .service)
        // The restaurant: owners.
        add(.GET, "/api/restaurants?restaurantId={rid}", nil, .restaurant)
        add(.PATCH, "/api/restaurants", ["restaurantId": "{rid}"], .restaurant)
        add(.PATCH, "/api/menu", ["restaurantId": "{rid}", "id": .string(none), "price": 12], .restaurant)
        add(.POST, "/api/menu", ["restaurantId": "{rid}", "type": "item"], .restaurant)
        add(.DELETE, "/api/menu", ["restaurantId": "{rid}", "id": .string(none)], .restaurant)
        for t in ["dining-services", "offers", "rooms", "tables"] {
            add(.GET, "/api/\(t)?restaurantId={rid}", nil, .restaurant)
            add(.PATCH, "/api/\(t)", ["restaurantId": "{rid}", "id": .string(none)], .restaurant)
            add(.DELETE, "/api/\(t)", ["restaurantId": "{rid}", "id": .string(none)], .restaurant)
            add(.POST, "/api/\(t)", ["restaurantId": "{rid}"], .restaurant)
        }
        add(.GET, "/api/blocked-phones?restaurantId={rid}", nil, .restaurant)
        add(.POST, "/api/blocked-phones", ["restaurantId": "{rid}", "phone": "pas un numéro"], .restaurant)
        add(.DELETE, "/api/blocked-phones", ["restaurantId": "{rid}", "phone": "pas un numéro"], .restaurant)
        add(.GET, "/api/stats?restaurantId={rid}", nil, .restaurant)
        add(.GET, "/api/planning/config?restaurantId={rid}", nil, .restaurant)
        add(.POST, "/api/planning/external-loads", ["restaurantId": "{rid}"], .restaurant)
        add(.PATCH, "/api/planning/external-loads", ["restaurantId": "{rid}", "id": .string(none)], .restaurant)
        add(.DELETE, "/api/planning/external-loads", ["restaurantId": "{rid}", "id": .string(none)], .restaurant)
        add(.PUT, "/api/planning/config", ["restaurantId": "{rid}", "slotMin": "quatre"], .restaurant)
        add(.GET, "/api/calls?restaurantId={rid}", nil, .restaurant)
        add(.GET, "/api/audit?restaurantId={rid}", nil, .restaurant)
        for p in ["/settings", "/room", "/calls", "/audit"] { add(.GET, "/admin/r/{rid}" + p, nil, .restaurant) }
        // Its secrets.
        add(.GET, "/api/phone-lines?restaurantId={rid}", nil, .secrets)
        add(.PUT, "/api/phone-lines", ["restaurantId": "{rid}"], .secrets)
        // Management keys are made and revoked by people (a key cannot mint keys).
        add(.GET, "/api/management-keys?restaurantId={rid}", nil, .keys)
        add(.POST, "/api/management-keys", ["restaurantId": "{rid}"], .keys)
        add(.DELETE, "/api/management-keys", ["restaurantId": "{rid}", "id": .string(none)], .keys)
        // Platform-owned settings of a restaurant.
        add(.PATCH, "/api/restaurants", ["restaurantId": "{rid}", "aiCostMarginPct": "beaucoup"], .platform)
        // Its team (accounts only: a key has no business with accounts — see `keyRights`).
        add(.GET, "/api/members?restaurantId={rid}", nil, .team)
        add(.POST, "/api/members", ["restaurantId": "{rid}", "email": "pas une adresse"], .team)
        add(.DELETE, "/api/members", ["restaurantId": "{rid}", "userId": .string(none)], .team)
        add(.GET, "/admin/r/{rid}/team", nil, .team)
        // The platform.
        add(.POST, "/api/restaurants", [:], .platform)
        add(.GET, "/api/audit", nil, .platform)
        add(.POST, "/api/admin/invitations", ["email": "pas une adresse"], .platform)
        add(.GET, "/admin/audit", nil, .platform)
        add(.GET, "/admin/servers", nil, .platform)
        add(.GET, "/api/admin/servers", nil, .platform)
        return r
    }()

    enum Principal: String, CaseIterable { case platformAdmin, owner, staff, key }

    /// The rules: a platform admin everything; an owner everything of their restaurant but the platform; staff the
    /// service of theirs; a management key what an owner has on its own restaurant, but no accounts.
    static func allowed(_ who: Principal, _ need: Need, own: Bool) -> Bool {
        switch who {
        case .platformAdmin: true
        case .owner: own && need != .platform
        case .staff: own && need == .service
        case .key: own && need != .platform && need != .team && need != .keys
        }
    }

    static func status(_ route: Route, base: String, rid: String, headers: [String: String]) async throws -> Int {
        var request = HTTPClientRequest(url: base + route.path.replacingOccurrences(of: "{rid}", with: rid))
        request.method = route.method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body = route.body {
            request.headers.add(name: "Content-Type", value: "application/json")
            let text = String(decoding: JSONWriter.encoded(body), as: UTF8.self).replacingOccurrences(of: "{rid}", with: rid)
            request.body = .bytes(ByteBuffer(string: text))
        }
        let client = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        let response = try await client.execute(request, timeout: .seconds(20))
        _ = try await response.body.collect(upTo: 8 << 20)
        return Int(response.status.code)
    }

    /// Makes an account with a password, a member of `restaurant` with `role` (nil: a platform admin).
    static func account(_ email: String, role: MemberRole?, of restaurant: UUID, on database: AlloRestoDatabase) async throws {
        let db = database.db
        _ = try await AdminAccounts.createOrUpdate(email: email, password: "un mot de passe solide", cost: 4, on: database)
        guard let role else { return }
        let user = try #require(try await Accounts.account(email: email, on: db))
        user.isPlatformAdmin = false
        try await user.save(on: db)
        try await Accounts.setRole(role, userId: user.id!, restaurantId: restaurant, on: db)
    }

    @Test func everyRouteForEveryRoleOnItsOwnRestaurantAndAnother() async throws {
        try await TestApp.live(configure: { $0.bcryptCost = 4 }) { app, base in
            let other = try await RestaurantImporter.write(try RestaurantImport.parse(Data(DemoRestaurant.importDocument
                .replacingOccurrences(of: "Chez Luigi", with: "Chez Mario").replacingOccurrences(of: "+33142601234", with: "+33142601299").utf8)), on: app.database.db).restaurantId
            let db = app.database.db
            try await Self.account("plateforme@alloresto.test", role: nil, of: app.restaurantId, on: app.database)
            try await Self.account("patron@luigi.test", role: .owner, of: app.restaurantId, on: app.database)
            try await Self.account("serveur@luigi.test", role: .staff, of: app.restaurantId, on: app.database)
            var headers: [Principal: [String: String]] = [.key: ["Authorization": "Bearer \(app.managementKey)"]]
            for (who, email) in [(Principal.platformAdmin, "plateforme@alloresto.test"), (.owner, "patron@luigi.test"), (.staff, "serveur@luigi.test")] {
                headers[who] = ["Cookie": try await Browser.login(base: base, email: email, password: "un mot de passe solide"), "Origin": base]
            }
            var mismatches: [String] = []
            for route in Self.routes {
                for who in Principal.allCases {
                    // Pages are for accounts; a key gets no page (it is not a session).
                    if route.page && who == .key { continue }
                    for (own, rid) in [(true, app.id), (false, other.uuidString.lowercased())] {
                        // Platform routes have no restaurant: "own" and "other" are the same request.
                        if route.need == .platform && !own { continue }
                        let code = try await Self.status(route, base: base, rid: rid, headers: headers[who]!)
                        let expected = Self.allowed(who, route.need, own: own || route.need == .platform && who == .platformAdmin)
                        let ok = expected ? ![401, 403].contains(code) && code < 500 : code == 403
                        if !ok { mismatches.append("\(who.rawValue) \(own ? "own" : "other") \(route.method) \(route.path) → \(code) (expected \(expected ? "allowed" : "403"))") }
                    }
                }
            }
            #expect(mismatches.isEmpty, Comment(rawValue: "\(mismatches.count) of the matrix:\n" + mismatches.joined(separator: "\n")))
        }
    }

    /// An owner's or a staff member's home is their restaurant; the restaurants API lists what they may configure.
    @Test func membersSeeTheirOwnRestaurantsOnly() async throws {
        try await TestApp.live(configure: { $0.bcryptCost = 4 }) { app, base in
            _ = try await RestaurantImporter.write(try RestaurantImport.parse(Data(DemoRestaurant.importDocument
                .replacingOccurrences(of: "Chez Luigi", with: "Chez Mario").replacingOccurrences(of: "+33142601234", with: "+33142601299").utf8)), on: app.database.db)
            try await Self.account("patron@luigi.test", role: .owner, of: app.restaurantId, on: app.database)
            try await Self.account("serveur@luigi.test", role: .staff, of: app.restaurantId, on: app.database)
            let owner = try await Browser.login(base: base, email: "patron@luigi.test", password: "un mot de passe solide")
            let listed = try await LiveHTTP.call(.GET, base + "/api/restaurants", headers: ["Cookie": owner])
            #expect(listed.1["restaurants"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Chez Luigi"])
            let home = try await Self.status(Route(method: .GET, path: "/admin", body: nil, need: .service), base: base, rid: "", headers: ["Cookie": owner])
            #expect(home == 303, "straight to the only restaurant")
            let staff = try await Browser.login(base: base, email: "serveur@luigi.test", password: "un mot de passe solide")
            let none = try await LiveHTTP.call(.GET, base + "/api/restaurants", headers: ["Cookie": staff])
            #expect(none.1["restaurants"]?.arrayValue?.isEmpty == true, "staff configure nothing")
        }
    }
}
