import Foundation

/// A point on Earth in decimal degrees.
public struct GeoPoint: Sendable, Hashable {
    public var lat: Double
    public var lng: Double

    /// The domains of a latitude and a longitude, in degrees (every coordinate from outside is checked against them).
    public static let latitudes: ClosedRange<Double> = -90...90
    public static let longitudes: ClosedRange<Double> = -180...180

    public init?(lat: Double?, lng: Double?) {
        guard let lat, let lng, Self.latitudes.contains(lat), Self.longitudes.contains(lng), !(lat == 0 && lng == 0) else { return nil }
        self.lat = lat
        self.lng = lng
    }

    /// Great-circle distance (haversine, mean Earth radius) in kilometres.
    public func distanceKm(to o: GeoPoint) -> Double {
        let r = 6371.0088
        let φ1 = lat * .pi / 180, φ2 = o.lat * .pi / 180
        let dφ = (o.lat - lat) * .pi / 180, dλ = (o.lng - lng) * .pi / 180
        let a = sin(dφ / 2) * sin(dφ / 2) + cos(φ1) * cos(φ2) * sin(dλ / 2) * sin(dλ / 2)
        return 2 * r * atan2(sqrt(a), sqrt(1 - a))
    }
}
