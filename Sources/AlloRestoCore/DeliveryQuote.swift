import Foundation

/// Distance, duration and fee of a delivery, from the best location available.
public struct DeliveryQuote: Sendable {
    /// Road distance in km (straight line × the planning's road factor, one decimal); nil without coordinates.
    public var roadKm: Double?
    /// The trip's duration in minutes (the planning's speed bands).
    public var travelMin: Int
    /// Where the customer is, when known.
    public var point: GeoPoint?
    /// The address as the geocoder wrote it.
    public var formattedAddress: String?

    public init(roadKm: Double?, travelMin: Int, point: GeoPoint?, formattedAddress: String?) {
        self.roadKm = roadKm
        self.travelMin = travelMin
        self.point = point
        self.formattedAddress = formattedAddress
    }

    /// Why a delivery cannot be quoted: the address is beyond the radius (measured here), or it cannot be placed
    /// (decided by the Server's I/O half: missing, not found, geocoder down). The sentence is the Server's.
    public enum Refused: Error, Sendable, Hashable {
        case outOfRange(roadKm: Double, radiusKm: Double)
        /// No address given and none saved.
        case addressMissing
        /// The geocoder does not know the address.
        case addressNotFound
        /// A new address and no geocoder to place it.
        case addressUnplaceable
        case geocoderUnavailable

        /// The wire code (`{success:false, code}`, `check_availability`'s `reason`).
        public var code: String {
            switch self {
            case .outOfRange: "out_of_range"
            case .addressMissing: "address_missing"
            case .addressNotFound, .addressUnplaceable: "address_not_found"
            case .geocoderUnavailable: "geocoder_unavailable"
            }
        }
    }

    /// A distance as said in French, one decimal with a comma (`3,4`, `12`).
    public static func km(_ d: Double) -> String {
        let rounded = (d * 10).rounded() / 10
        return (rounded == rounded.rounded() ? CheckedNumber.text(rounded) : String(format: "%.1f", rounded)).replacingOccurrences(of: ".", with: ",")
    }

    /// The road distance and trip time to a point, refused beyond the radius. Without restaurant coordinates no
    /// radius check is possible and the slowest usual trip (20 min) is assumed.
    public static func measure(restaurant r: RestaurantProfile, config: PlanningConfig, to point: GeoPoint?, formattedAddress: String?) -> Result<DeliveryQuote, Refused> {
        guard let origin = GeoPoint(lat: r.lat, lng: r.lng), let point else {
            return .success(DeliveryQuote(roadKm: nil, travelMin: 20, point: point, formattedAddress: formattedAddress))
        }
        let road = origin.distanceKm(to: point) * config.roadFactor
        if let radius = r.deliveryRadiusKm, road > radius {
            return .failure(.outOfRange(roadKm: road, radiusKm: radius))
        }
        return .success(DeliveryQuote(roadKm: (road * 10).rounded() / 10, travelMin: config.travelMinutes(roadKm: road), point: point, formattedAddress: formattedAddress))
    }

    /// Whether two written addresses are the same one (case, accents and punctuation aside; one may be the other's start).
    public static func same(_ a: String, _ b: String) -> Bool {
        func n(_ s: String) -> String { s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).filter { $0.isLetter || $0.isNumber } }
        let x = n(a), y = n(b)
        return !x.isEmpty && (x == y || x.hasPrefix(y) || y.hasPrefix(x))
    }
}
