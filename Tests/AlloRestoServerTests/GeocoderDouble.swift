import AlloRestoCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// A small local HTTP server speaking Nominatim's `/search` and Google's `/maps/api/geocode/json`, standing in for
/// the real providers (unreachable here). Knows a few Paris addresses; "introuvable" finds nothing; "panne" is a 500.
final class GeocoderDouble: Sendable {
    static let known: [String: (lat: Double, lng: Double, name: String)] = [
        "10 rue de rivoli": (48.8556, 2.3600, "10, Rue de Rivoli, Paris 4e, 75004, France"),
        "1 place de la defense": (48.8918, 2.2389, "1, Place de la Défense, Puteaux, 92800, France"),
    ]
    let requests = Mutex<[String]>([])

    func match(_ q: String) -> (lat: Double, lng: Double, name: String)? {
        let n = q.lowercased().folding(options: .diacriticInsensitive, locale: nil)
        return Self.known.first { n.contains($0.key) }?.value
    }

    /// Runs the double on an ephemeral port for the duration of `body`, which gets its base URL.
    func run<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/search") { request, _ -> Response in
            let q = request.uri.queryParameters["q"].map(String.init) ?? ""
            self.requests.withLock { $0.append("nominatim:" + q) }
            guard request.uri.queryParameters["format"] == "jsonv2" else { return Response(status: .badRequest) }
            if q.contains("panne") { return Response(status: .internalServerError) }
            let body: JSONValue = self.match(q).map { m in
                [["lat": .string(String(m.lat)), "lon": .string(String(m.lng)), "display_name": .string(m.name), "place_id": 1]]
            } ?? []
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encoded(body))))
        }
        router.get("/maps/api/geocode/json") { request, _ -> Response in
            let q = request.uri.queryParameters["address"].map(String.init) ?? ""
            self.requests.withLock { $0.append("google:" + q) }
            let body: JSONValue
            if request.uri.queryParameters["key"] != "test-key" {
                body = ["status": "REQUEST_DENIED", "results": []]
            } else if let m = self.match(q) {
                body = ["status": "OK", "results": [["formatted_address": .string(m.name), "geometry": ["location": ["lat": .double(m.lat), "lng": .double(m.lng)]]]]]
            } else {
                body = ["status": "ZERO_RESULTS", "results": []]
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encoded(body))))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)") }
    }
}
