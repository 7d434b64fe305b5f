import AlloRestoCore
import AlloRestoServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Schema-shaped garbage at every tool and restaurant endpoint: never a 5xx, always the JSON error shape.
@Suite struct GarbageInputTests {
    static let keys = [
        "order_type", "items", "id", "quantity", "selected_options", "name", "choice", "choice_id", "total", "call_id", "caller_phone",
        "item_map", "last_availability_check", "estimatedTimeISO", "deliveryDistanceKm", "order_number", "phone", "firstName",
        "deliveryLat", "deliveryLng", "question", "content", "isUrgent", "isRead", "status", "orderNumber", "answer", "notes",
    ]

    static func value(_ rng: inout SeededRandom, depth: Int) -> JSONValue {
        switch rng.next(9) {
        case 0: return .null
        case 1: return .bool(rng.next(2) == 0)
        case 2: return .int(Int(rng.next(2_000_000_000)) - 1_000_000_000)
        case 3: return .double(Double(rng.next(100_000)) / 7.0 - 5000)
        case 4: return .string(["", " ", "2", "#3", "abc", "18,50", "0612345678", "2026-13-45T99:99:99Z", "pickup", "DELIVERY", "\u{0}", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", String(repeating: "x", count: 3000), "NaN", "-1", "1e400"][rng.next(16)])
        case 5 where depth < 3: return .array((0..<rng.next(4)).map { _ in value(&rng, depth: depth + 1) })
        case 6 where depth < 3: return object(&rng, depth: depth + 1)
        default: return .string(UUID(uuidString: "00000000-0000-4000-8000-00000000000\(rng.next(10))")!.uuidString)
        }
    }

    static func object(_ rng: inout SeededRandom, depth: Int) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for _ in 0..<rng.next(6) { o[keys[rng.next(keys.count)]] = value(&rng, depth: depth) }
        return .object(o)
    }

    @Test func noServerErrorWhateverTheBody() async throws {
        try await TestApp.with { app, client throws in
            var rng = SeededRandom(seed: 2026)
            let posts = ["/api/ai/tools/confirm-order", "/api/ai/tools/cancel-order", "/api/customers", "/api/faq", "/api/messages"]
            let patches = ["/api/faq", "/api/messages", "/api/orders"]
            var statuses: [Int: Int] = [:]
            for i in 0..<600 {
                var body = Self.object(&rng, depth: 0).objectValue ?? [:]
                if rng.next(10) > 0 { body["restaurantId"] = .string(app.id) }
                let raw: ByteBuffer = rng.next(12) == 0
                    ? ByteBuffer(bytes: (0..<rng.next(64)).map { _ in UInt8(rng.next(256)) })
                    : ByteBuffer(bytes: try JSONEncoder().encode(JSONValue.object(body)))
                let (method, path): (HTTPRequest.Method, String) = i % 4 == 3 ? (.patch, patches[rng.next(patches.count)]) : (.post, posts[rng.next(posts.count)])
                let r = try await client.execute(uri: path, method: method, headers: app.bearer, body: raw)
                statuses[Int(r.status.code), default: 0] += 1
                #expect(r.status.code < 500, "\(method) \(path) answered \(r.status.code) to \(String(buffer: raw).prefix(300))")
                let json = try? r.json()
                #expect(json?["success"] != nil, "\(path) answered without the JSON shape")
            }
            for q in ["/api/orders/status?restaurantId=\(app.id)&phone=%00", "/api/orders?restaurantId=\(app.id)&date=2026-02-31x&limit=-5",
                      "/api/faq?restaurantId=\(app.id)&status=%FF", "/api/customers?restaurantId=\(app.id)&limit=abc", "/api/ai?restaurantId=\(app.id)&callerPhone=%2B%2B%2B"] {
                #expect(try await client.execute(uri: q, method: .get, headers: app.bearer).status.code < 500, "\(q)")
            }
            // Garbage reached the validation paths, not only the JSON check.
            #expect(statuses[200, default: 0] > 0 && statuses[422, default: 0] > 0 && statuses[400, default: 0] > 0)
        }
    }
}

/// A small deterministic generator (SplitMix64) for reproducible garbage.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(bound, 1)))
    }
}
