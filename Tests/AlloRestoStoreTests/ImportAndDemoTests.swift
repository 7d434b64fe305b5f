import AlloRestoCore
import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import Testing

@Suite struct ImportAndDemoTests {
    static func fixture() throws -> Data {
        try Data(contentsOf: try #require(Bundle.module.url(forResource: "restaurant-import-v1", withExtension: "json", subdirectory: "Fixtures")))
    }

    @Test(arguments: TestDatabases.kinds)
    func importWritesEverythingAndIssuesAToken(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let db = database.db
            let outcome = try await RestaurantImporter.write(try RestaurantImport.parse(Self.fixture()), on: db)
            #expect(outcome.created)
            let token = try #require(outcome.agentToken)
            #expect(try await AgentTokens.restaurant(ofToken: token, on: db) == outcome.restaurantId)
            // Only the hash is stored.
            let stored: [AgentTokenRecord] = try await AgentTokenRecord.query(on: db).all()
            #expect(stored.map(\.tokenHash) == [AgentTokens.hash(token)])
            #expect(!stored[0].tokenHash.contains(token))

            let r = try #require(try await Restaurant.find(outcome.restaurantId, on: db))
            #expect(r.name == "Pizzeria Bella Napoli")
            #expect(r.deliveryFee == 250)
            #expect(r.profile.openingHours.ranges(on: .friday).last?.close.description == "23:30")
            #expect(try await MenuCategory.query(on: db).count() == 4)
            #expect(try await MenuItem.query(on: db).count() == 4)
            let snapshot = try await RestaurantSnapshotLoader.load(r, on: db)
            let numbering = ItemNumbering(menu: snapshot.menu)
            // Categories by display order: Entrées (empty), Pizzas, Desserts, Boissons.
            #expect(numbering.entries.map(\.item.name) == ["Margherita", "Napoli", "Tiramisu maison", "Coca-Cola"])
            #expect(numbering.entries[0].item.options[1].choices[3] == OptionChoice(label: "Sans gluten", priceModifierMinor: 250))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func reimportUpdatesInPlaceAndKeepsIds(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let db = database.db
            let first = try await RestaurantImporter.write(try RestaurantImport.parse(Self.fixture()), on: db)
            let before: [MenuItem] = try await MenuItem.query(on: db).sort(\.$name).all()
            let versionBefore = try #require(try await Restaurant.find(first.restaurantId, on: db)).version

            var json = String(decoding: try Self.fixture(), as: UTF8.self)
            json = json.replacingOccurrences(of: "\"price\": 9.50", with: "\"price\": 10.00")
            json = json.replacingOccurrences(of: "\"name\": \"Pizzeria Bella Napoli\"", with: "\"name\": \"Bella Napoli\"")
            let second = try await RestaurantImporter.write(try RestaurantImport.parse(Data(json.utf8)), on: db)

            #expect(!second.created)
            #expect(second.restaurantId == first.restaurantId)
            #expect(second.agentToken == nil)
            #expect(try await Restaurant.query(on: db).count() == 1)
            #expect(try await AgentTokenRecord.query(on: db).count() == 1)
            let after: [MenuItem] = try await MenuItem.query(on: db).sort(\.$name).all()
            #expect(after.map(\.id) == before.map(\.id))
            #expect(after.first { $0.name == "Margherita" }?.price == 1000)
            let r = try #require(try await Restaurant.find(first.restaurantId, on: db))
            #expect(r.name == "Bella Napoli")
            #expect(r.version > versionBefore)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func reimportKeepsSettingsTheFileDoesNotHaveAndDropsRemovedItems(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let db = database.db
            let first = try await RestaurantImporter.write(try RestaurantImport.parse(Self.fixture()), on: db)
            let r = try #require(try await Restaurant.find(first.restaurantId, on: db))
            r.reservationEnabled = true
            r.totalSeats = 44
            try await r.save(on: db)

            var json = String(decoding: try Self.fixture(), as: UTF8.self)
            json = json.replacingOccurrences(of: "\"ref\": \"tiramisu\"", with: "\"ref\": \"tiramisu-v2\"")
            _ = try await RestaurantImporter.write(try RestaurantImport.parse(Data(json.utf8)), on: db)
            let again = try #require(try await Restaurant.find(first.restaurantId, on: db))
            #expect(again.reservationEnabled)
            #expect(again.totalSeats == 44)
            let refs = Set(try await MenuItem.query(on: db).all().compactMap(\.ref))
            #expect(refs == ["pizza-margherita", "pizza-napoli", "tiramisu-v2", "coca"])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func demoHasEverythingTheIssueLists(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let db = database.db
            let cipher = LineSecretCipher(master: try MasterKey(hex: TestDatabases.testKeyHex))
            let outcome = try #require(try await DemoRestaurant.loadIfEmpty(on: db, cipher: cipher))
            #expect(outcome.agentToken != nil)
            #expect(try await DemoRestaurant.loadIfEmpty(on: db, cipher: cipher) == nil)

            let r = try #require(try await Restaurant.find(outcome.restaurantId, on: db))
            #expect(r.name == "Chez Luigi")
            #expect(r.deliveryEnabled && r.reservationEnabled)
            let snapshot = try await RestaurantSnapshotLoader.load(r, on: db)
            let formules = snapshot.menu.items.filter(\.isFormule)
            #expect(formules.contains { $0.options.contains { $0.source == .category } })
            #expect(formules.contains { $0.options.contains { $0.source == .items } })
            #expect(snapshot.menu.items.contains { $0.options.contains { $0.choices.contains { $0.priceModifierMinor > 0 } } })
            #expect(snapshot.menu.items.contains { !$0.allergens.isEmpty })
            #expect(snapshot.services.count == 2)
            #expect(snapshot.offers.count == 1)
            #expect(snapshot.faqs.count >= 2)
            let jean: Customer? = try await Customer.query(on: db).filter(\.$phone == DemoRestaurant.knownCustomerPhone).first()
            #expect(jean?.firstName == "Jean")
            #expect(jean?.deliveryAddress != nil)
            let line = try #require(try await PhoneLine.query(on: db).first())
            #expect(LineSecretCipher.looksEncrypted(line.sipPassword))
            #expect(!line.sipPassword.contains(DemoRestaurant.linePassword))
            #expect(try cipher.decrypt(line.sipPassword, lineId: line.id!.uuidString.lowercased()) == DemoRestaurant.linePassword)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func sessionCacheSeesChangesMadeElsewhere(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let cipher = LineSecretCipher(master: try MasterKey(hex: TestDatabases.testKeyHex))
            let demo = try #require(try await DemoRestaurant.loadIfEmpty(on: database.db, cipher: cipher))
            // Two replicas: two caches over one database.
            let replicaA = SessionSource(database: database, cipher: cipher)
            let replicaB = SessionSource(database: database, cipher: cipher)
            let a1 = try #require(try await replicaA.session(for: demo.restaurantId))
            _ = try await replicaB.session(for: demo.restaurantId)
            #expect(a1.template.numbering.entries.contains { $0.item.name == "Burrata" })

            // Replica B's admin marks an item unavailable and bumps the version, as every write path does.
            let burrata = try #require(try await MenuItem.query(on: database.db).filter(\.$name == "Burrata").first())
            burrata.isAvailable = false
            try await burrata.save(on: database.db)
            try await RestaurantVersion.bump(demo.restaurantId, on: database.db)

            let a2 = try #require(try await replicaA.session(for: demo.restaurantId))
            #expect(a2.version > a1.version)
            #expect(!a2.template.numbering.entries.contains { $0.item.name == "Burrata" })
            // Unchanged version: the cached session is reused.
            let a3 = try #require(try await replicaA.session(for: demo.restaurantId))
            #expect(a3.version == a2.version)

            // Rotating tokens is seen too: the old token stops working on every replica.
            let old = try #require(demo.agentToken)
            #expect(a3.accepts(tokenHash: AgentTokens.hash(old)))
            let new = try await AgentTokens.rotate(for: demo.restaurantId, on: database.db)
            let b = try #require(try await replicaB.session(for: demo.restaurantId))
            #expect(!b.accepts(tokenHash: AgentTokens.hash(old)))
            #expect(b.accepts(tokenHash: AgentTokens.hash(new)))
            #expect(try await AgentTokens.restaurant(ofToken: old, on: database.db) == nil)

            // An inactive restaurant has no session.
            let r = try #require(try await Restaurant.find(demo.restaurantId, on: database.db))
            r.isActive = false
            try await r.save(on: database.db)
            #expect(try await replicaA.session(for: demo.restaurantId) == nil)
            #expect(try await replicaA.session(for: UUID()) == nil)
        }
    }
}
