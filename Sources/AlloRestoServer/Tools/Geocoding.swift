import AlloRestoCore
import AsyncHTTPClient
import Foundation
import NIOCore

/// Which geocoding provider turns a delivery address into coordinates.
public enum GeocoderSettings: Sendable, Hashable {
    case none
    /// Nominatim's `/search?format=jsonv2` (OpenStreetMap, or a self-hosted instance).
    case nominatim(url: String)
    /// Google Geocoding API `/maps/api/geocode/json`.
    case google(url: String, apiKey: String)
}

public struct GeocodedAddress: Sendable, Hashable {
    public var point: GeoPoint
    public var formatted: String
}

/// A geocoder failure that is not "address not found": the provider is down, slow, or answered nonsense.
public struct GeocoderFailure: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Address → coordinates. `nil` means the provider answered and found nothing.
public protocol Geocoder: Sendable {
    func geocode(_ address: String) async throws -> GeocodedAddress?
}

/// Shared HTTP plumbing of the providers: one GET with a deadline, a JSON body back.
struct GeocoderHTTP: Sendable {
    let client: HTTPClient
    let timeout: TimeAmount

    func get(_ url: String, headers: [(String, String)] = []) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw GeocoderFailure(description: "geocoder unreachable: \(type(of: error))")
        }
        let body = try await response.body.collect(upTo: 2 << 20)
        guard response.status == .ok else { throw GeocoderFailure(description: "geocoder answered HTTP \(response.status.code)") }
        do { return try JSONReader.parse(Array(buffer: body)) } catch { throw GeocoderFailure(description: "geocoder answered invalid JSON") }
    }

    static func query(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}

/// Nominatim: `GET {url}/search?q=…&format=jsonv2&limit=1` → `[{"lat": "48.85", "lon": "2.35", "display_name": "…"}]`.
public struct NominatimGeocoder: Geocoder {
    let base: String
    let http: GeocoderHTTP

    public init(url: String, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(3)) {
        base = url.hasSuffix("/") ? String(url.dropLast()) : url
        http = GeocoderHTTP(client: client, timeout: timeout)
    }

    public func geocode(_ address: String) async throws -> GeocodedAddress? {
        let json = try await http.get(base + "/search?" + GeocoderHTTP.query([("q", address), ("format", "jsonv2"), ("limit", "1")]),
                                      headers: [("User-Agent", "AlloResto/1.0 (restaurant phone orders)")])
        guard case .array(let results) = json else { throw GeocoderFailure(description: "geocoder answered an unexpected shape") }
        guard let first = results.first else { return nil }
        guard let point = GeoPoint(lat: first["lat"].flatMap(CheckedNumber.decimal), lng: first["lon"].flatMap(CheckedNumber.decimal)) else { return nil }
        return GeocodedAddress(point: point, formatted: first["display_name"]?.stringValue ?? address)
    }
}

/// Google: `GET {url}/maps/api/geocode/json?address=…&key=…` → `{"status": "OK", "results": [{"formatted_address", "geometry": {"location": {lat, lng}}}]}`.
public struct GoogleGeocoder: Geocoder {
    let base: String
    let apiKey: String
    let http: GeocoderHTTP

    public init(url: String, apiKey: String, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(3)) {
        base = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.apiKey = apiKey
        http = GeocoderHTTP(client: client, timeout: timeout)
    }

    public func geocode(_ address: String) async throws -> GeocodedAddress? {
        let json = try await http.get(base + "/maps/api/geocode/json?" + GeocoderHTTP.query([("address", address), ("key", apiKey)]))
        switch json["status"]?.stringValue {
        case "OK": break
        case "ZERO_RESULTS": return nil
        case let status: throw GeocoderFailure(description: "geocoder status \(status ?? "missing")")
        }
        guard let first = json["results"]?.arrayValue?.first,
              let location = first["geometry"]?["location"]
        else { return nil }
        guard let point = GeoPoint(lat: location["lat"].flatMap(CheckedNumber.decimal), lng: location["lng"].flatMap(CheckedNumber.decimal)) else { return nil }
        return GeocodedAddress(point: point, formatted: first["formatted_address"]?.stringValue ?? address)
    }
}

/// Remembers answers (found or not found) so a caller repeating the address, or the confirmation after the check,
/// costs no second request. Failures are not remembered.
public actor CachingGeocoder: Geocoder {
    let inner: any Geocoder
    let capacity: Int
    private var entries: [String: GeocodedAddress?] = [:]
    private var order: [String] = []

    public init(_ inner: any Geocoder, capacity: Int = 2000) {
        self.inner = inner
        self.capacity = capacity
    }

    public func geocode(_ address: String) async throws -> GeocodedAddress? {
        let key = address.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if let hit = entries[key] { return hit }
        let found = try await inner.geocode(address)
        if entries.count >= capacity, let oldest = order.first {
            order.removeFirst()
            entries[oldest] = nil
        }
        entries[key] = .some(found)
        order.append(key)
        return found
    }
}

extension GeocoderSettings {
    func make() -> (any Geocoder)? {
        switch self {
        case .none: nil
        case .nominatim(let url): CachingGeocoder(NominatimGeocoder(url: url))
        case .google(let url, let key): CachingGeocoder(GoogleGeocoder(url: url, apiKey: key))
        }
    }
}
