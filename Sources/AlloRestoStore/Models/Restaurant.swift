import FluentKit
import Foundation

// Fluent models are classes whose property wrappers FluentKit mutates; FluentKit documents `@unchecked Sendable`
// for them. Each instance here is created, filled and read by one task (a request or a command) and never shared,
// which is what makes the unchecked conformance safe.

/// A restaurant and all the settings the voice agent reads. `version` is bumped by every change that can alter
/// what the agent is told, so per-replica caches can be validated against the database.
public final class Restaurant: Model, @unchecked Sendable {
    public static let schema = "restaurants"

    @ID(key: .id) public var id: UUID?
    @Field(key: "name") public var name: String
    @OptionalField(key: "cuisine_type") public var cuisineType: String?
    @OptionalField(key: "address") public var address: String?
    @OptionalField(key: "city") public var city: String?
    @OptionalField(key: "postal_code") public var postalCode: String?
    @Field(key: "country") public var country: String
    @OptionalField(key: "phone") public var phone: String?
    @OptionalField(key: "email") public var email: String?
    @OptionalField(key: "website") public var website: String?
    @OptionalField(key: "lat") public var lat: Double?
    @OptionalField(key: "lng") public var lng: Double?
    @Field(key: "timezone") public var timezone: String
    @Field(key: "currency") public var currency: String
    @Field(key: "default_locale") public var defaultLocale: String
    /// Import-format JSON (`{"monday": {"open": …}}`).
    @Field(key: "opening_hours") public var openingHours: String
    /// JSON list of exceptional closures (`[{from, to, reason}]`, local days); nil = none.
    @OptionalField(key: "closures") public var closures: String?
    /// "Plus de commandes ce soir": no order before this instant.
    @OptionalField(key: "orders_paused_until") public var ordersPausedUntil: Date?
    @Field(key: "ai_voice") public var aiVoice: String
    @OptionalField(key: "ai_instructions") public var aiInstructions: String?
    @OptionalField(key: "welcome_message") public var welcomeMessage: String?
    /// JSON array of strings.
    @Field(key: "payment_methods") public var paymentMethods: String
    @Field(key: "delivery_enabled") public var deliveryEnabled: Bool
    @OptionalField(key: "delivery_radius_km") public var deliveryRadiusKm: Double?
    @Field(key: "delivery_fee") public var deliveryFee: Int
    @OptionalField(key: "delivery_free_above") public var deliveryFreeAbove: Int?
    @Field(key: "min_order_amount") public var minOrderAmount: Int
    @Field(key: "avg_prep_time_min") public var avgPrepTimeMin: Int
    @Field(key: "reservation_enabled") public var reservationEnabled: Bool
    @OptionalField(key: "total_seats") public var totalSeats: Int?
    @Field(key: "avg_meal_duration_min") public var avgMealDurationMin: Int
    @Field(key: "min_reservation_advance_min") public var minReservationAdvanceMin: Int
    @Field(key: "max_reservation_advance_days") public var maxReservationAdvanceDays: Int
    @Field(key: "order_status_enabled") public var orderStatusEnabled: Bool
    @Field(key: "transfer_enabled") public var transferEnabled: Bool
    @OptionalField(key: "transfer_phone_number") public var transferPhoneNumber: String?
    @Field(key: "transfer_automatic") public var transferAutomatic: Bool
    /// JSON array of strings.
    @Field(key: "transfer_cases") public var transferCases: String
    @OptionalField(key: "ai_cost_margin_pct") public var aiCostMarginPct: Double?
    /// JSON object of the planning engine settings; null means the engine's defaults.
    @OptionalField(key: "planning_config") public var planningConfig: String?
    @OptionalField(key: "agent_id") public var agentId: String?
    /// Identity across imports (`place:…`, `phone:+33…`, `name:…`).
    @OptionalField(key: "external_ref") public var externalRef: String?
    @Field(key: "is_active") public var isActive: Bool
    @Field(key: "version") public var version: Int
    /// Last order number handed out; incremented in the order's own transaction.
    @Field(key: "last_order_number") public var lastOrderNumber: Int
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}
}

/// A menu category (Pizzas, Desserts…).
public final class MenuCategory: Model, @unchecked Sendable {
    public static let schema = "menu_categories"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @OptionalField(key: "ref") public var ref: String?
    @Field(key: "name") public var name: String
    @OptionalField(key: "description") public var description: String?
    @Field(key: "display_order") public var displayOrder: Int
    @Field(key: "is_active") public var isActive: Bool

    public init() {}
}

/// A dish or drink; without a category, a formule (combo).
public final class MenuItem: Model, @unchecked Sendable {
    public static let schema = "menu_items"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @OptionalParent(key: "category_id") public var category: MenuCategory?
    @OptionalField(key: "ref") public var ref: String?
    @Field(key: "name") public var name: String
    @OptionalField(key: "description") public var description: String?
    /// Minor units.
    @Field(key: "price") public var price: Int
    /// JSON arrays of strings.
    @Field(key: "allergens") public var allergens: String
    @Field(key: "tags") public var tags: String
    @Field(key: "is_available") public var isAvailable: Bool
    @Field(key: "display_order") public var displayOrder: Int
    /// JSON array of `ItemOption`.
    @Field(key: "options") public var options: String

    public init() {}
}
