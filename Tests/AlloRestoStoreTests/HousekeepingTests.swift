import AlloRestoCore
@testable import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import SQLKit
import Testing

/// The housekeeping sweep deletes exactly what has outlived its use, on both databases.
@Suite struct HousekeepingTests {
    @Test(arguments: TestDatabases.kinds)
    func oldAnswersExpiredSessionsAndStaleLinksGoTheRestStays(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let db = database.db
            let sql = try #require(db as? any SQLDatabase)
            let cipher = LineSecretCipher(master: try MasterKey(hex: TestDatabases.testKeyHex))
            let rid = try await DemoRestaurant.load(on: db, cipher: cipher).restaurantId
            let now = Date(timeIntervalSince1970: 1_795_700_000)
            let day: TimeInterval = 86_400

            // Idempotency answers: three 8 days old (gone, two statements in batches of 2), one 6 days old (kept).
            for (key, age) in [("old", 8 * day), ("old-2", 9 * day), ("old-3", 30 * day), ("recent", 6 * day)] {
                let r = IdempotencyRecord()
                r.$restaurant.id = rid
                r.key = key
                r.tool = ToolName.confirmOrder.rawValue
                r.response = "{}"
                try await r.create(on: db)
                try await sql.raw("UPDATE idempotency_keys SET created_at = \(bind: now.addingTimeInterval(-age)) WHERE key = \(bind: key)").run()
            }
            // Sessions: one expired a minute ago, one valid for an hour.
            let user = AdminUser()
            user.email = "owner@example.test"
            user.passwordHash = "x"
            user.isPlatformAdmin = false
            try await user.create(on: db)
            for (hash, expiry) in [("expired", now.addingTimeInterval(-60)), ("valid", now.addingTimeInterval(3600))] {
                let s = AdminSession()
                s.$user.id = try user.requireID()
                s.tokenHash = hash
                s.expiresAt = expiry
                try await s.create(on: db)
            }
            // Links: expired 31 days ago (gone), used 31 days ago (gone), expired yesterday (kept: "expired" still
            // said), pending (kept).
            for (hash, expiry, used) in [("expired-long", now.addingTimeInterval(-31 * day), nil), ("used-long", now.addingTimeInterval(2 * day), now.addingTimeInterval(-31 * day)),
                                          ("expired-recently", now.addingTimeInterval(-day), nil), ("pending", now.addingTimeInterval(day), nil)] as [(String, Date, Date?)] {
                let t = AccountToken()
                t.kind = "reset"
                t.tokenHash = hash
                t.email = "owner@example.test"
                t.expiresAt = expiry
                t.usedAt = used
                try await t.create(on: db)
            }

            let swept = try await Housekeeping.sweep(now: now, batch: 2, on: db)
            #expect(swept == Housekeeping.Swept(idempotencyAnswers: 3, sessions: 1, links: 2))
            #expect(try await IdempotencyRecord.query(on: db).all().map(\.key) == ["recent"])
            #expect(try await AdminSession.query(on: db).all().map(\.tokenHash) == ["valid"])
            #expect(Set(try await AccountToken.query(on: db).all().map(\.tokenHash)) == ["expired-recently", "pending"])
            // A second sweep finds nothing more.
            #expect(try await Housekeeping.sweep(now: now, on: db).total == 0)
        }
    }
}
