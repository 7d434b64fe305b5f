/// The domain of each numeric restaurant setting, defined once: the import file (`RestaurantImport`) and the back
/// office (`PATCH /api/restaurants`) check against the same ranges. Amounts are in major units of the restaurant's
/// currency (converted to minor units by `Money`); durations in minutes.
public enum SettingLimits {
    /// Seats of the dining room (`totalSeats`; absent means unknown).
    public static let totalSeats = 0...10_000
    /// Average preparation time of an order, minutes.
    public static let avgPrepTimeMin = 1...240
    /// Average length of a meal at the table, minutes.
    public static let avgMealDurationMin = 15...600
    /// How long ahead a booking must be made at least, minutes (a week at most).
    public static let minReservationAdvanceMin = 0...10_080
    /// How many days ahead bookings are taken.
    public static let maxReservationAdvanceDays = 0...365
    /// Delivery radius, kilometres (0 delivers to nobody: an owner who means "no delivery" switches it off).
    public static let deliveryRadiusKm = 0.0...200.0
    /// Delivery fee, major units (wide enough for currencies without a minor unit: 100,000 XOF is about 150 EUR).
    public static let deliveryFee = 0.0...100_000.0
    /// Minimum order and free-delivery threshold, major units.
    public static let orderAmount = 0.0...100_000.0
    /// Margin added to the AI cost shown to the restaurant, percent.
    public static let aiCostMarginPct = 0.0...500.0

    /// The upper bound of a major-unit range in minor units of `currency` (`orderAmount` in EUR → 10,000,000).
    public static func maxMinor(_ range: ClosedRange<Double>, currency: String) -> Int {
        Money.minor(fromDecimal: range.upperBound, currency: currency) ?? Money.maxAmountMinor
    }
}
