import AlloRestoCore
import FluentKit
import Foundation

/// "Chez Luigi", the demo restaurant a fresh install answers `/api/ai` with: a menu with options and formules,
/// delivery, reservations with two services, an offer, answered FAQ, a known customer and an encrypted phone line.
public enum DemoRestaurant {
    public static let knownCustomerPhone = "+33612345678"
    public static let linePassword = "luigi-demo-sip-secret"

    public struct Outcome: Sendable {
        public let restaurantId: UUID
        public let agentToken: String?
        public let created: Bool
    }

    /// Loads the demo when the database has no restaurant; otherwise changes nothing.
    public static func loadIfEmpty(on db: any Database, cipher: LineSecretCipher, now: Date = Date()) async throws -> Outcome? {
        guard try await Restaurant.query(on: db).count() == 0 else { return nil }
        return try await load(on: db, cipher: cipher, now: now)
    }

    public static func load(on db: any Database, cipher: LineSecretCipher, now: Date = Date()) async throws -> Outcome {
        let imp = try RestaurantImport.parse(Data(importDocument.utf8))
        return try await db.transaction { tx in
            let outcome = try await RestaurantImporter.writeInTransaction(imp, on: tx)
            let rid = outcome.restaurantId
            guard outcome.created else { return Outcome(restaurantId: rid, agentToken: nil, created: false) }

            for (name, days, start, end, last, covers) in [
                ("Déjeuner", [1, 2, 3, 4, 5, 6], "12:00", "14:30", "13:45", 40),
                ("Dîner", [1, 2, 3, 4, 5, 6, 7], "19:00", "23:00", "22:00", 50),
            ] {
                let s = DiningService()
                s.$restaurant.id = rid
                s.name = name
                s.daysOfWeek = JSONText.encode(days)
                s.startTime = start
                s.endTime = end
                s.lastSeatingTime = last
                s.maxCovers = covers
                s.defaultDurationMin = name == "Déjeuner" ? 75 : 105
                s.isActive = true
                s.isPrivate = false
                s.prepaymentRequired = false
                try await s.create(on: tx)
            }

            let offer = Offer()
            offer.$restaurant.id = rid
            offer.name = "Menu dégustation"
            offer.description = "Antipasti, pizza au choix, tiramisu et un verre de chianti"
            offer.kind = "menu"
            offer.price = 3200
            offer.minPartySize = 2
            offer.maxPartySize = 8
            offer.isActive = true
            try await offer.create(on: tx)

            for (q, a, cat) in [
                ("Avez-vous un parking ?", "Oui, le parking Saint-Honoré est à deux minutes à pied, et la rue est gratuite après 20 heures.", "acces"),
                ("Vos pizzas existent-elles sans gluten ?", "Oui, toutes nos pizzas peuvent être faites avec une pâte sans gluten, pour deux euros cinquante de plus. La cuisine n'est pas certifiée sans traces.", "allergenes"),
                ("Acceptez-vous les titres-restaurant ?", "Oui, en papier et en carte, dans la limite de vingt-cinq euros par repas.", "paiement"),
            ] {
                let f = Faq()
                f.$restaurant.id = rid
                f.question = q
                f.questionKey = FaqKey.normalize(q)
                f.answer = a
                f.category = cat
                f.status = "answered"
                f.askCount = 3
                try await f.create(on: tx)
            }

            let jean = Customer()
            jean.id = UUID()
            jean.$restaurant.id = rid
            jean.phone = knownCustomerPhone
            jean.firstName = "Jean"
            jean.deliveryAddress = "12 rue de la Paix"
            jean.deliveryCity = "Paris"
            jean.deliveryPostalCode = "75002"
            jean.deliveryLat = 48.8691
            jean.deliveryLng = 2.3318
            jean.deliveryNotes = "Digicode 4521B, 3e étage"
            jean.totalOrders = 1
            jean.totalSpent = 2850
            jean.lastOrderAt = now.addingTimeInterval(-6 * 86_400)
            try await jean.create(on: tx)

            // One past order so the known-customer section has a history to propose.
            let items: [MenuItem] = try await MenuItem.query(on: tx).filter(\.$restaurant.$id == rid).all()
            let margherita = items.first { $0.ref == "margherita" }!
            let tiramisu = items.first { $0.ref == "tiramisu" }!
            let order = Order()
            order.id = UUID()
            order.$restaurant.id = rid
            order.$customer.id = jean.id
            order.orderNumber = 1
            order.status = "completed"
            order.orderType = "delivery"
            order.subtotal = 2850
            order.deliveryFee = 0
            order.total = 2850
            order.customerName = "Jean"
            order.customerPhone = knownCustomerPhone
            order.deliveryAddress = "12 rue de la Paix, 75002 Paris"
            order.paymentMethod = "card"
            order.source = "phone_ai"
            order.createdAt = now.addingTimeInterval(-6 * 86_400)
            try await order.create(on: tx)
            for (item, qty, unit) in [(margherita, 2, 1050), (tiramisu, 1, 750)] {
                let line = OrderItem()
                line.$order.id = order.id!
                line.menuItemId = item.id
                line.name = item.name
                line.quantity = qty
                line.unitPrice = unit
                line.totalPrice = unit * qty
                line.selectedOptions = "[]"
                try await line.create(on: tx)
            }
            if let row = try await Restaurant.find(rid, on: tx) {
                row.lastOrderNumber = 1
                try await row.save(on: tx)
            }

            let line = PhoneLine()
            line.id = UUID()
            line.$restaurant.id = rid
            line.sipDomain = "sip.chezluigi.example"
            line.sipUsername = "chezluigi"
            line.sipPassword = try cipher.encrypt(linePassword, lineId: line.id!.uuidString.lowercased())
            line.isActive = true
            try await line.create(on: tx)

            try await RestaurantVersion.bump(rid, on: tx)
            return Outcome(restaurantId: rid, agentToken: outcome.agentToken, created: true)
        }
    }

    /// The demo in the import format, so the demo exercises the importer owners use.
    public static let importDocument = #"""
    {
      "restaurant": {
        "name": "Chez Luigi",
        "cuisine_type": "italienne",
        "address": "8 rue Saint-Honoré",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
        "phone": "+33142601234",
        "location": { "lat": 48.8625, "lng": 2.3364 },
        "timezone": "Europe/Paris",
        "currency": "EUR",
        "opening_hours": {
          "monday":    { "open": "11:30", "close": "14:30", "open2": "18:30", "close2": "23:00" },
          "tuesday":   { "open": "11:30", "close": "14:30", "open2": "18:30", "close2": "23:00" },
          "wednesday": { "open": "11:30", "close": "14:30", "open2": "18:30", "close2": "23:00" },
          "thursday":  { "open": "11:30", "close": "14:30", "open2": "18:30", "close2": "23:00" },
          "friday":    { "open": "11:30", "close": "14:30", "open2": "18:30", "close2": "00:30" },
          "saturday":  { "open": "11:30", "close": "00:30" },
          "sunday":    { "open": "18:30", "close": "23:00" }
        },
        "delivery": { "enabled": true, "radius_km": 4, "fee": 2.5, "free_above": 30, "min_order": 15, "avg_prep_time_min": 25 },
        "payment_methods": ["cash", "card", "ticket_restaurant"],
        "reservation": { "enabled": true, "total_seats": 60, "avg_meal_duration_min": 90, "min_advance_min": 60, "max_advance_days": 30 },
        "transfer": { "enabled": true, "phone_number": "06 98 76 54 32", "automatic": false, "cases": ["réclamation", "groupe de plus de 12 personnes", "privatisation"] },
        "ai_config": {
          "voice": "sage",
          "language": "fr",
          "welcome_message": "Chez Luigi, buongiorno ! Vous souhaitez commander ou réserver une table ?",
          "instructions": "Tu es Luigi, l'assistant de la trattoria. Sois chaleureux, avec une pointe d'accent italien dans le vocabulaire (« perfetto », « grazie »). Propose le tiramisu en dessert.",
          "upsell_items": ["Tiramisu della casa"]
        }
      },
      "menu": {
        "categories": [
          { "ref": "antipasti", "name": "Antipasti", "display_order": 0 },
          { "ref": "pizzas", "name": "Pizzas", "display_order": 1 },
          { "ref": "pates", "name": "Pâtes", "display_order": 2 },
          { "ref": "desserts", "name": "Desserts", "display_order": 3 },
          { "ref": "boissons", "name": "Boissons", "display_order": 4 }
        ],
        "items": [
          { "ref": "bruschetta", "category_ref": "antipasti", "name": "Bruschetta", "description": "Pain grillé, tomates, ail, basilic", "price": 6.5, "allergens": ["gluten"], "tags": ["végétarien"] },
          { "ref": "burrata", "category_ref": "antipasti", "name": "Burrata", "description": "Burrata des Pouilles, tomates cerises, huile d'olive", "price": 9.0, "allergens": ["lactose"] },
          { "ref": "margherita", "category_ref": "pizzas", "name": "Margherita", "description": "Tomate, mozzarella, basilic", "price": 10.5, "allergens": ["gluten", "lactose"], "tags": ["populaire", "végétarien"],
            "options": [
              { "name": "Taille", "type": "single_choice", "required": true, "choices": [ { "label": "Normale", "price_modifier": 0 }, { "label": "Grande", "price_modifier": 3 } ] },
              { "name": "Pâte", "type": "single_choice", "required": false, "choices": [ { "label": "Classique", "price_modifier": 0 }, { "label": "Sans gluten", "price_modifier": 2.5 } ] },
              { "name": "Suppléments", "type": "multi_choice", "required": false, "max_choices": 3, "choices": [ { "label": "Mozzarella di bufala", "price_modifier": 2 }, { "label": "Jambon de Parme", "price_modifier": 2.5 }, { "label": "Roquette", "price_modifier": 1 } ] }
            ] },
          { "ref": "regina", "category_ref": "pizzas", "name": "Regina", "description": "Tomate, mozzarella, jambon, champignons", "price": 12.0, "allergens": ["gluten", "lactose"],
            "options": [ { "name": "Taille", "type": "single_choice", "required": true, "choices": [ { "label": "Normale", "price_modifier": 0 }, { "label": "Grande", "price_modifier": 3 } ] } ] },
          { "ref": "quattro", "category_ref": "pizzas", "name": "Quattro Formaggi", "description": "Mozzarella, gorgonzola, parmesan, chèvre", "price": 13.5, "allergens": ["gluten", "lactose"], "tags": ["végétarien"] },
          { "ref": "carbonara", "category_ref": "pates", "name": "Spaghetti carbonara", "description": "Guanciale, pecorino, jaune d'œuf", "price": 13.0, "allergens": ["gluten", "lactose", "oeufs"] },
          { "ref": "arrabbiata", "category_ref": "pates", "name": "Penne all'arrabbiata", "description": "Tomate, ail, piment", "price": 11.0, "allergens": ["gluten"], "tags": ["épicé", "végan"] },
          { "ref": "tiramisu", "category_ref": "desserts", "name": "Tiramisu della casa", "description": "Mascarpone, café, cacao", "price": 7.5, "allergens": ["gluten", "lactose", "oeufs"], "tags": ["maison"] },
          { "ref": "pannacotta", "category_ref": "desserts", "name": "Panna cotta", "description": "Coulis de fruits rouges", "price": 6.5, "allergens": ["lactose"] },
          { "ref": "coca", "category_ref": "boissons", "name": "Coca-Cola", "price": 3.0,
            "options": [ { "name": "Format", "type": "single_choice", "required": true, "choices": [ { "label": "33cl", "price_modifier": 0 }, { "label": "1,5L", "price_modifier": 2.5 } ] } ] },
          { "ref": "eau", "category_ref": "boissons", "name": "San Pellegrino 50cl", "price": 3.5 },
          { "ref": "formule-midi", "name": "Formule Midi", "description": "Une pizza jusqu'à 12 euros et un dessert", "price": 15.9, "display_order": 0,
            "options": [
              { "name": "Pizza", "required": true, "source": "category", "category_ref": "pizzas", "max_price": 12 },
              { "name": "Dessert", "required": true, "source": "items", "item_refs": ["tiramisu", "pannacotta"] }
            ] },
          { "ref": "formule-pates", "name": "Formule Pâtes", "description": "Des pâtes et une boisson", "price": 14.5, "display_order": 1,
            "options": [
              { "name": "Pâtes", "required": true, "source": "category", "category_ref": "pates" },
              { "name": "Boisson", "required": true, "source": "items", "item_refs": ["coca", "eau"] }
            ] }
        ]
      }
    }
    """#
}
