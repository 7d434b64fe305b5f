import AlloRestoCore
import Foundation

/// A small menu built in code, with fixed ids, for numbering and prompt tests.
enum MenuFixtures {
    static func id(_ n: Int) -> UUID { UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))! }

    static let entrees = MenuCategoryInfo(id: id(1), name: "Entrées", displayOrder: 0)
    static let pizzas = MenuCategoryInfo(id: id(2), name: "Pizzas", displayOrder: 1)
    static let desserts = MenuCategoryInfo(id: id(3), name: "Desserts", displayOrder: 2)
    static let hidden = MenuCategoryInfo(id: id(4), name: "Carte cachée", displayOrder: 3, isActive: false)

    static let taille = ItemOption(name: "Taille", required: true, choices: [OptionChoice(label: "Normale"), OptionChoice(label: "Grande", priceModifierMinor: 300)])
    static let supplements = ItemOption(
        name: "Suppléments", required: false, type: .multiChoice, maxChoices: 2,
        choices: [OptionChoice(label: "Burrata", priceModifierMinor: 250), OptionChoice(label: "Roquette", priceModifierMinor: 100)])

    static let items: [MenuItemInfo] = [
        MenuItemInfo(id: id(101), categoryId: pizzas.id, name: "Regina", priceMinor: 1200, allergens: ["gluten"], displayOrder: 2, options: [taille]),
        MenuItemInfo(id: id(102), categoryId: pizzas.id, name: "Margherita", description: "Tomate, mozzarella", priceMinor: 950, allergens: ["gluten", "lactose"], displayOrder: 1, options: [taille, supplements]),
        MenuItemInfo(id: id(103), categoryId: pizzas.id, name: "Calzone", priceMinor: 1400, isAvailable: false, displayOrder: 3),
        MenuItemInfo(id: id(104), categoryId: entrees.id, name: "Bruschetta", priceMinor: 650, displayOrder: 0),
        MenuItemInfo(id: id(105), categoryId: desserts.id, name: "Tiramisu", priceMinor: 750, allergens: ["oeufs"], displayOrder: 0),
        MenuItemInfo(id: id(106), categoryId: desserts.id, name: "Panna cotta", priceMinor: 650, displayOrder: 1),
        MenuItemInfo(id: id(107), categoryId: hidden.id, name: "Plat secret", priceMinor: 2000, displayOrder: 0),
        MenuItemInfo(id: id(108), categoryId: pizzas.id, name: "Truffe", priceMinor: 1900, displayOrder: 4),
        // Formules: no category; choices by category (with a price cap) and by a list of items.
        MenuItemInfo(id: id(201), categoryId: nil, name: "Formule Midi", priceMinor: 1590, displayOrder: 0, options: [
            ItemOption(name: "Pizza", required: true, source: .category, categoryId: pizzas.id, maxPriceMinor: 1200),
            ItemOption(name: "Dessert", required: true, source: .items, itemIds: [id(105), id(106), id(103)]),
        ]),
        MenuItemInfo(id: id(202), categoryId: nil, name: "Formule Soir", priceMinor: 2490, isAvailable: false, displayOrder: 1),
    ]

    static let menu = Menu(categories: [desserts, hidden, pizzas, entrees], items: items)

    static func restaurant(_ configure: (inout RestaurantProfile) -> Void = { _ in }) -> RestaurantProfile {
        var r = RestaurantProfile(id: id(9000), name: "Chez Test")
        r.address = "1 rue du Test"
        r.city = "Paris"
        r.postalCode = "75001"
        r.phone = "+33142000000"
        r.openingHours = WeeklyHours(days: [
            .monday: [OpeningRange(open: TimeOfDay(parsing: "11:30")!, close: TimeOfDay(parsing: "14:30")!), OpeningRange(open: TimeOfDay(parsing: "18:30")!, close: TimeOfDay(parsing: "23:00")!)],
            .tuesday: [OpeningRange(open: TimeOfDay(parsing: "11:30")!, close: TimeOfDay(parsing: "14:30")!)],
            .friday: [OpeningRange(open: TimeOfDay(parsing: "18:00")!, close: TimeOfDay(parsing: "01:00")!)],
        ])
        r.deliveryEnabled = true
        r.deliveryRadiusKm = 5
        r.deliveryFeeMinor = 250
        r.deliveryFreeAboveMinor = 3000
        r.minOrderAmountMinor = 1500
        r.avgPrepTimeMin = 25
        r.reservationEnabled = true
        r.totalSeats = 40
        r.orderStatusEnabled = true
        r.transferEnabled = true
        r.transferPhoneNumber = "+33698765432"
        r.transferCases = ["réclamation"]
        r.aiInstructions = "Sois bref."
        r.welcomeMessage = "Chez Test, bonjour !"
        configure(&r)
        return r
    }

    static let services = [
        DiningServiceInfo(id: id(301), name: "Déjeuner", daysOfWeek: [.monday, .tuesday, .wednesday], startTime: TimeOfDay(parsing: "12:00")!, endTime: TimeOfDay(parsing: "14:30")!, lastSeatingTime: TimeOfDay(parsing: "13:45")!, maxCovers: 30),
        DiningServiceInfo(id: id(302), name: "Dîner", daysOfWeek: Weekday.allCases, startTime: TimeOfDay(parsing: "19:00")!, endTime: TimeOfDay(parsing: "23:00")!, maxCovers: 40),
        DiningServiceInfo(id: id(303), name: "Privatisation", daysOfWeek: [.sunday], startTime: TimeOfDay(parsing: "12:00")!, endTime: TimeOfDay(parsing: "16:00")!, maxCovers: 60, isPrivate: true),
    ]
    static let offers = [OfferInfo(id: id(401), name: "Menu anniversaire", description: "Gâteau offert", priceMinor: 2900, minPartySize: 4)]
    static let faqs = [FaqEntry(question: "Avez-vous une terrasse ?", answer: "Oui, de 20 places.")]

    static func snapshot(_ configure: (inout RestaurantProfile) -> Void = { _ in }) -> RestaurantSnapshot {
        RestaurantSnapshot(restaurant: restaurant(configure), menu: menu, services: services, offers: offers, faqs: faqs)
    }

    static let jean = KnownCaller(
        id: id(501), firstName: "Jean", deliveryAddress: "12 rue de la Paix", deliveryCity: "Paris", deliveryPostalCode: "75002",
        deliveryNotes: "code 1234", deliveryLat: 48.869, deliveryLng: 2.331, totalOrders: 4,
        recentOrders: [.init(orderNumber: 41, placedAt: Date(timeIntervalSince1970: 1_795_000_000), orderType: "delivery", totalMinor: 2850, itemsSummary: "2× Margherita")])

    /// 2026-11-26 12:05 UTC (a Thursday) unless said otherwise.
    static func date(_ iso: String = "2026-11-26T12:05:00Z") -> Date {
        try! Date(iso, strategy: .iso8601)
    }
}
