import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// The delivery quote's I/O half: the caller's saved address (database) and the geocoder; the measuring is in
/// Core (`DeliveryQuote.measure`).
extension DeliveryQuote {
    /// Where the customer is. With an address: the saved coordinates when it is the caller's saved address, else
    /// the address geocoded; without a geocoder, given coordinates only when they are not the saved address's (the
    /// call context carries the saved ones: a new address is never measured there) — else a question. Without an
    /// address: the saved address and its coordinates, else given coordinates that are not the saved ones (those
    /// of an address measured earlier in the call). Outside the radius, unknown address or a geocoder down → `DeliveryQuote.Refused`.
    static func quote(
        restaurant r: RestaurantProfile, config: PlanningConfig, lat: Double?, lng: Double?, address: String?, phone: String?,
        services: AppServices
    ) async throws -> Result<DeliveryQuote, Refused> {
        let given = GeoPoint(lat: lat, lng: lng)
        var saved: Customer?
        if let phone {
            saved = try await CustomerBook.byPhone(restaurantId: r.id, phone: phone, on: services.database.readDB)
        }
        let savedPoint = GeoPoint(lat: saved?.deliveryLat, lng: saved?.deliveryLng)
        let savedAddress = saved?.deliveryAddress.map { [$0, saved?.deliveryPostalCode, saved?.deliveryCity].compactMap { $0 }.joined(separator: " ") }
        var point: GeoPoint?
        var formatted = address
        if let address {
            if let savedPoint, let street = saved?.deliveryAddress, Self.same(address, street) {
                point = savedPoint
                formatted = savedAddress
            } else if let geocoder = services.geocoder {
                do {
                    guard let found = try await geocoder.geocode(address) else {
                        return .failure(.addressNotFound)
                    }
                    point = found.point
                    formatted = found.formatted
                } catch {
                    services.logger.warning("geocoder failed", metadata: ["error": "\(error)"])
                    return .failure(.geocoderUnavailable)
                }
            } else if let given, given != savedPoint {
                point = given
            } else {
                return .failure(.addressUnplaceable)
            }
        } else if let given, given != savedPoint {
            point = given
        } else if let savedPoint {
            point = savedPoint
            formatted = savedAddress
        } else {
            return .failure(.addressMissing)
        }
        return measure(restaurant: r, config: config, to: point, formattedAddress: formatted)
    }
}
