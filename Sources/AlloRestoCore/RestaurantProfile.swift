import Foundation

/// The restaurant settings the voice agent relies on, as a plain value (loaded by the store, read by the builders).
public struct RestaurantProfile: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var cuisineType: String?
    public var address: String?
    public var city: String?
    public var postalCode: String?
    public var country: String
    public var phone: String?
    public var lat: Double?
    public var lng: Double?
    public var timezone: String
    public var currency: String
    public var defaultLocale: String
    public var openingHours: WeeklyHours
    /// Exceptional closures (whole days).
    public var closures: [Closure] = []
    /// "Plus de commandes ce soir": no order is taken before this instant (reservations still are).
    public var ordersPausedUntil: Date?
    public var aiVoice: String
    public var aiInstructions: String?
    public var welcomeMessage: String?
    public var paymentMethods: [String]
    public var deliveryEnabled: Bool
    public var deliveryRadiusKm: Double?
    public var deliveryFeeMinor: Int
    public var deliveryFreeAboveMinor: Int?
    public var minOrderAmountMinor: Int
    public var avgPrepTimeMin: Int
    public var reservationEnabled: Bool
    public var totalSeats: Int?
    public var avgMealDurationMin: Int
    public var minReservationAdvanceMin: Int
    public var maxReservationAdvanceDays: Int
    public var orderStatusEnabled: Bool
    public var transferEnabled: Bool
    public var transferPhoneNumber: String?
    public var transferAutomatic: Bool
    public var transferCases: [String]
    public var aiCostMarginPct: Double?
    /// The restaurant's `planningConfig` override as stored (nil: the engine's defaults).
    public var planningConfig: JSONValue?

    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
        country = "FR"
        timezone = "Europe/Paris"
        currency = "EUR"
        defaultLocale = "fr"
        openingHours = WeeklyHours()
        aiVoice = "sage"
        paymentMethods = ["cash", "card"]
        deliveryEnabled = false
        deliveryFeeMinor = 0
        minOrderAmountMinor = 0
        avgPrepTimeMin = 20
        reservationEnabled = false
        avgMealDurationMin = 90
        minReservationAdvanceMin = 60
        maxReservationAdvanceDays = 30
        orderStatusEnabled = true
        transferEnabled = false
        transferAutomatic = false
        transferCases = []
    }

    /// The planning settings in force: the override on top of defaults scaled on `avgPrepTimeMin`. A stored
    /// override that no longer validates falls back to the defaults (writes are validated, so this is a safety net).
    public var planning: PlanningConfig {
        guard let planningConfig else { return PlanningConfig(avgPrepTimeMin: avgPrepTimeMin) }
        return (try? PlanningConfig(json: planningConfig, avgPrepTimeMin: avgPrepTimeMin)) ?? PlanningConfig(avgPrepTimeMin: avgPrepTimeMin)
    }

    /// Whether the agent may offer a transfer itself (`transfer_call`): enabled, a number set, not automatic.
    public var agentCanTransfer: Bool {
        transferEnabled && !(transferPhoneNumber ?? "").isEmpty && !transferAutomatic
    }
}

/// A dining service (lunch, dinner…) that bounds reservations and gives their capacity.
public struct DiningServiceInfo: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var daysOfWeek: [Weekday]
    public var startTime: TimeOfDay
    public var endTime: TimeOfDay
    public var lastSeatingTime: TimeOfDay?
    public var maxCovers: Int
    public var defaultDurationMin: Int
    public var isActive: Bool
    public var isPrivate: Bool
    public var prepaymentRequired: Bool

    public init(
        id: UUID, name: String, daysOfWeek: [Weekday], startTime: TimeOfDay, endTime: TimeOfDay,
        lastSeatingTime: TimeOfDay? = nil, maxCovers: Int, defaultDurationMin: Int = 90,
        isActive: Bool = true, isPrivate: Bool = false, prepaymentRequired: Bool = false
    ) {
        self.id = id
        self.name = name
        self.daysOfWeek = daysOfWeek
        self.startTime = startTime
        self.endTime = endTime
        self.lastSeatingTime = lastSeatingTime
        self.maxCovers = maxCovers
        self.defaultDurationMin = defaultDurationMin
        self.isActive = isActive
        self.isPrivate = isPrivate
        self.prepaymentRequired = prepaymentRequired
    }
}

/// An offer proposed to callers when they book (a set menu, a discount, an event).
public struct OfferInfo: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var description: String?
    public var kind: String
    public var priceMinor: Int?
    public var minPartySize: Int?
    public var maxPartySize: Int?
    public var validFrom: String?
    public var validTo: String?
    public var isActive: Bool

    public init(
        id: UUID, name: String, description: String? = nil, kind: String = "menu", priceMinor: Int? = nil,
        minPartySize: Int? = nil, maxPartySize: Int? = nil, validFrom: String? = nil, validTo: String? = nil,
        isActive: Bool = true
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.kind = kind
        self.priceMinor = priceMinor
        self.minPartySize = minPartySize
        self.maxPartySize = maxPartySize
        self.validFrom = validFrom
        self.validTo = validTo
        self.isActive = isActive
    }
}

/// An answered question of the restaurant's FAQ.
public struct FaqEntry: Sendable, Hashable {
    public var question: String
    public var answer: String
    public var category: String?

    public init(question: String, answer: String, category: String? = nil) {
        self.question = question
        self.answer = answer
        self.category = category
    }
}

/// What the restaurant knows about the caller.
public struct KnownCaller: Sendable, Hashable {
    public struct PastOrder: Sendable, Hashable {
        public var orderNumber: Int
        public var placedAt: Date
        public var orderType: String
        public var totalMinor: Int
        public var itemsSummary: String

        public init(orderNumber: Int, placedAt: Date, orderType: String, totalMinor: Int, itemsSummary: String) {
            self.orderNumber = orderNumber
            self.placedAt = placedAt
            self.orderType = orderType
            self.totalMinor = totalMinor
            self.itemsSummary = itemsSummary
        }
    }

    public var id: UUID
    public var firstName: String?
    public var deliveryAddress: String?
    public var deliveryCity: String?
    public var deliveryPostalCode: String?
    public var deliveryNotes: String?
    public var deliveryLat: Double?
    public var deliveryLng: Double?
    public var totalOrders: Int
    public var recentOrders: [PastOrder]

    public init(
        id: UUID, firstName: String?, deliveryAddress: String? = nil, deliveryCity: String? = nil,
        deliveryPostalCode: String? = nil, deliveryNotes: String? = nil, deliveryLat: Double? = nil,
        deliveryLng: Double? = nil, totalOrders: Int = 0, recentOrders: [PastOrder] = []
    ) {
        self.id = id
        self.firstName = firstName
        self.deliveryAddress = deliveryAddress
        self.deliveryCity = deliveryCity
        self.deliveryPostalCode = deliveryPostalCode
        self.deliveryNotes = deliveryNotes
        self.deliveryLat = deliveryLat
        self.deliveryLng = deliveryLng
        self.totalOrders = totalOrders
        self.recentOrders = recentOrders
    }

    /// The saved address as one spoken line, or nil when none is saved.
    public var formattedAddress: String? {
        guard let street = deliveryAddress?.trimmingCharacters(in: .whitespaces), !street.isEmpty else { return nil }
        let cityPart = [deliveryPostalCode, deliveryCity].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        return cityPart.isEmpty ? street : "\(street), \(cityPart)"
    }
}
