import FluentKit
import Foundation

/// A caller known to a restaurant, keyed by E.164 phone.
public final class Customer: Model, @unchecked Sendable {
    public static let schema = "customers"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "phone") public var phone: String
    @OptionalField(key: "first_name") public var firstName: String?
    @OptionalField(key: "delivery_address") public var deliveryAddress: String?
    @OptionalField(key: "delivery_city") public var deliveryCity: String?
    @OptionalField(key: "delivery_postal_code") public var deliveryPostalCode: String?
    @OptionalField(key: "delivery_lat") public var deliveryLat: Double?
    @OptionalField(key: "delivery_lng") public var deliveryLng: Double?
    @OptionalField(key: "delivery_notes") public var deliveryNotes: String?
    @Field(key: "total_orders") public var totalOrders: Int
    @Field(key: "total_spent") public var totalSpent: Int
    @OptionalField(key: "last_order_at") public var lastOrderAt: Date?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}

    /// The restaurant's customer with this E.164 phone, or a new unsaved one with zero totals.
    public static func findOrNew(restaurantId: UUID, phone: String, on db: any Database) async throws -> Customer {
        if let existing = try await CustomerBook.byPhone(restaurantId: restaurantId, phone: phone, on: db) { return existing }
        let c = Customer()
        c.id = UUID()
        c.$restaurant.id = restaurantId
        c.phone = phone
        c.totalOrders = 0
        c.totalSpent = 0
        return c
    }
}

/// An order taken by the agent or entered from the dashboard.
public final class Order: Model, @unchecked Sendable {
    public static let schema = "orders"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @OptionalParent(key: "customer_id") public var customer: Customer?
    @Field(key: "order_number") public var orderNumber: Int
    /// pending|confirmed|preparing|ready|delivering|completed|cancelled
    @Field(key: "status") public var status: String
    /// pickup|delivery|dine_in
    @Field(key: "order_type") public var orderType: String
    @Field(key: "subtotal") public var subtotal: Int
    @Field(key: "delivery_fee") public var deliveryFee: Int
    @Field(key: "total") public var total: Int
    @OptionalField(key: "customer_name") public var customerName: String?
    @OptionalField(key: "customer_phone") public var customerPhone: String?
    @OptionalField(key: "delivery_address") public var deliveryAddress: String?
    @OptionalField(key: "delivery_lat") public var deliveryLat: Double?
    @OptionalField(key: "delivery_lng") public var deliveryLng: Double?
    @OptionalField(key: "delivery_distance_km") public var deliveryDistanceKm: Double?
    @OptionalField(key: "payment_method") public var paymentMethod: String?
    @OptionalField(key: "notes") public var notes: String?
    /// phone_ai|dashboard
    @Field(key: "source") public var source: String
    @OptionalField(key: "call_id") public var callId: String?
    @OptionalField(key: "estimated_ready_at") public var estimatedReadyAt: Date?
    @OptionalField(key: "cook_start_at") public var cookStartAt: Date?
    @OptionalField(key: "handoff_at") public var handoffAt: Date?
    /// S|M|L
    @OptionalField(key: "order_size") public var orderSize: String?
    /// When the order was placed, from the application's clock (injectable), not the database's.
    @OptionalField(key: "created_at") public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?
    @Children(for: \.$order) public var items: [OrderItem]

    public init() {}
}

/// One line of an order, with the name and prices as sold (the menu may change later).
public final class OrderItem: Model, @unchecked Sendable {
    public static let schema = "order_items"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "order_id") public var order: Order
    @OptionalField(key: "menu_item_id") public var menuItemId: UUID?
    @Field(key: "name") public var name: String
    @Field(key: "quantity") public var quantity: Int
    @Field(key: "unit_price") public var unitPrice: Int
    @Field(key: "total_price") public var totalPrice: Int
    /// JSON array of the selected options as priced.
    @Field(key: "selected_options") public var selectedOptions: String
    @OptionalField(key: "notes") public var notes: String?

    public init() {}
}
