import FluentKit
import Foundation

/// Platform-wide AI pricing: the default margin and the model rates.
public final class PricingConfig: Model, @unchecked Sendable {
    public static let schema = "pricing_configs"

    @ID(key: .id) public var id: UUID?
    @Field(key: "default_margin_pct") public var defaultMarginPct: Double
    /// JSON object `{model: {inputPerMTokUsd, outputPerMTokUsd}}`.
    @Field(key: "model_rates") public var modelRates: String
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}
}

/// The first result of a write tool call, stored under a unique key so a repeated call returns it unchanged.
public final class IdempotencyRecord: Model, @unchecked Sendable {
    public static let schema = "idempotency_keys"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    /// `call_id|tool|digest`, or `window|restaurant|phone|tool|digest` without a call id.
    @Field(key: "key") public var key: String
    @Field(key: "tool") public var tool: String
    @Field(key: "response") public var response: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// Kitchen load that is not a phone order (dine-in rush, incident, prep batch), consuming planning capacity.
public final class ExternalLoad: Model, @unchecked Sendable {
    public static let schema = "external_loads"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "kind") public var kind: String
    @Field(key: "starts_at") public var startsAt: Date
    @Field(key: "ends_at") public var endsAt: Date
    /// JSON object resource → units per slot.
    @Field(key: "load") public var load: String
    @OptionalField(key: "notes") public var notes: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}
