import FluentKit
import Foundation

/// A table reservation.
public final class Reservation: Model, @unchecked Sendable {
    public static let schema = "reservations"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @OptionalParent(key: "customer_id") public var customer: Customer?
    @OptionalField(key: "customer_name") public var customerName: String?
    @OptionalField(key: "customer_phone") public var customerPhone: String?
    @Field(key: "party_size") public var partySize: Int
    @Field(key: "reservation_time") public var reservationTime: Date
    @Field(key: "end_time") public var endTime: Date
    /// pending|confirmed|seated|completed|cancelled|no_show
    @Field(key: "status") public var status: String
    @OptionalField(key: "seating_preference") public var seatingPreference: String?
    @OptionalField(key: "service_id") public var serviceId: UUID?
    @OptionalField(key: "offer_id") public var offerId: UUID?
    @OptionalField(key: "table_id") public var tableId: UUID?
    @OptionalField(key: "notes") public var notes: String?
    @OptionalField(key: "call_id") public var callId: String?
    @Field(key: "source") public var source: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}
}

/// A service of the dining room (lunch, dinner) bounding reservations and giving capacity.
public final class DiningService: Model, @unchecked Sendable {
    public static let schema = "dining_services"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "name") public var name: String
    /// JSON array of ISO weekdays (1 = Monday).
    @Field(key: "days_of_week") public var daysOfWeek: String
    /// Local `HH:MM`.
    @Field(key: "start_time") public var startTime: String
    @Field(key: "end_time") public var endTime: String
    @OptionalField(key: "last_seating_time") public var lastSeatingTime: String?
    @Field(key: "max_covers") public var maxCovers: Int
    @Field(key: "default_duration_min") public var defaultDurationMin: Int
    @Field(key: "is_active") public var isActive: Bool
    @Field(key: "is_private") public var isPrivate: Bool
    @Field(key: "prepayment_required") public var prepaymentRequired: Bool
    @OptionalField(key: "prepayment_amount") public var prepaymentAmount: Int?

    public init() {}
}

/// An offer shown to callers when they book.
public final class Offer: Model, @unchecked Sendable {
    public static let schema = "offers"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "name") public var name: String
    @OptionalField(key: "description") public var description: String?
    /// menu|discount|event
    @Field(key: "kind") public var kind: String
    @OptionalField(key: "price") public var price: Int?
    @OptionalField(key: "min_party_size") public var minPartySize: Int?
    @OptionalField(key: "max_party_size") public var maxPartySize: Int?
    /// Local `YYYY-MM-DD`.
    @OptionalField(key: "valid_from") public var validFrom: String?
    @OptionalField(key: "valid_to") public var validTo: String?
    @Field(key: "is_active") public var isActive: Bool

    public init() {}
}

/// A dining room.
public final class Room: Model, @unchecked Sendable {
    public static let schema = "rooms"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "name") public var name: String
    @Field(key: "display_order") public var displayOrder: Int

    public init() {}
}

/// A table of a room.
public final class DiningTable: Model, @unchecked Sendable {
    public static let schema = "dining_tables"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @OptionalParent(key: "room_id") public var room: Room?
    @Field(key: "label") public var label: String
    @Field(key: "seats") public var seats: Int
    @Field(key: "is_active") public var isActive: Bool

    public init() {}
}
