import AlloRestoCore
import Foundation
import Testing

@Suite struct SystemPromptTests {
    typealias F = MenuFixtures

    func prompt(_ configure: (inout RestaurantProfile) -> Void = { _ in }, now: Date = F.date(), caller: KnownCaller? = nil) -> String {
        SessionTemplate(snapshot: F.snapshot(configure)).prompt.prompt(now: now, caller: caller)
    }

    @Test func everySectionWithAllFeatures() {
        let p = prompt(caller: F.jean)
        for title in ["# RÔLE", "# RESTAURANT", "# DATE ET HEURE", "# HORAIRES D'OUVERTURE", "# CARTE", "# FORMULES", "# LIVRAISON",
                      "# RÉSERVATIONS", "# OFFRES", "# QUESTIONS FRÉQUENTES", "# CLIENT", "# RÈGLES"] {
            #expect(p.contains(title), "missing \(title)")
        }
        #expect(p.contains("Consignes du restaurant : Sois bref."))
        #expect(p.contains("Adresse : 1 rue du Test, 75001 Paris"))
    }

    @Test func menuLinesCarryNumbersPricesOptionsAndAllergens() {
        let p = prompt()
        #expect(p.contains("#2 Margherita — 9,50 € — Tomate, mozzarella — Allergènes : gluten, lactose"))
        #expect(p.contains("Option « Taille » (obligatoire, un seul choix) : Normale ; Grande +3 €"))
        #expect(p.contains("Option « Suppléments » (facultative, plusieurs choix possibles, 2 au maximum) : Burrata +2,50 € ; Roquette +1 €"))
        #expect(!p.contains("Calzone"))
        #expect(!p.contains("Plat secret"))
        #expect(!p.contains("Formule Soir"))
    }

    @Test func formuleChoicesAreReferencedByNumber() {
        let p = prompt()
        #expect(p.contains("#7 Formule Midi — 15,90 €"))
        #expect(p.contains("« Pizza » (obligatoire) (articles jusqu'à 12 €) : au choix #2 Margherita, #3 Regina"))
        #expect(p.contains("« Dessert » (obligatoire) : au choix #5 Tiramisu, #6 Panna cotta"))
        #expect(p.contains("choice_id = le #N"))
    }

    @Test func clockIsTheRestaurantsLocalTime() {
        // 12:05 UTC on Thursday 26 Nov 2026 is 13:05 in Paris (UTC+1 in winter).
        #expect(prompt().contains("Nous sommes le jeudi 26 novembre 2026, il est 13h05 (heure locale, fuseau Europe/Paris)."))
        // The same instant in New York is 07:05.
        let ny = prompt { $0.timezone = "America/New_York" }
        #expect(ny.contains("jeudi 26 novembre 2026, il est 7h05"))
        // Summer time: 2026-07-01 10:30 UTC is 12:30 in Paris (UTC+2).
        #expect(prompt(now: F.date("2026-07-01T10:30:00Z")).contains("mercredi 1er juillet 2026, il est 12h30"))
        // Just after the spring-forward transition in Paris (2026-03-29 01:00 UTC → 03:00 local).
        #expect(prompt(now: F.date("2026-03-29T01:00:00Z")).contains("dimanche 29 mars 2026, il est 3h"))
        // Just after the autumn fallback (2026-10-25 01:00 UTC → 02:00 local, second time).
        #expect(prompt(now: F.date("2026-10-25T01:00:00Z")).contains("dimanche 25 octobre 2026, il est 2h"))
        // Late evening UTC is already the next day in Tokyo.
        #expect(prompt({ $0.timezone = "Asia/Tokyo" }, now: F.date("2026-11-26T20:00:00Z")).contains("vendredi 27 novembre 2026, il est 5h"))
    }

    @Test func openNowFollowsHours() {
        // Monday 2026-11-23 12:00 local (11:00 UTC): open. 16:00 local: closed.
        #expect(prompt(now: F.date("2026-11-23T11:00:00Z")).contains("Le restaurant est ouvert en ce moment."))
        #expect(prompt(now: F.date("2026-11-23T15:00:00Z")).contains("Le restaurant est fermé en ce moment"))
        // Friday's service runs past midnight: Saturday 00:30 local is still open.
        #expect(prompt(now: F.date("2026-11-27T23:30:00Z")).contains("Le restaurant est ouvert en ce moment."))
        #expect(prompt().contains("lundi : 11h30-14h30 et 18h30-23h"))
        #expect(prompt().contains("mercredi : fermé"))
        #expect(prompt().contains("vendredi : 18h-1h"))
    }

    @Test func deliveryTermsOrNoDelivery() {
        let on = prompt()
        #expect(on.contains("Livraison dans un rayon de 5 km"))
        #expect(on.contains("Minimum de commande pour la livraison : 15 €."))
        #expect(on.contains("Frais de livraison : 2,50 €, offerts à partir de 30 € de commande."))
        let off = prompt { $0.deliveryEnabled = false }
        #expect(off.contains("Pas de livraison"))
        #expect(!off.contains("rayon"))
        #expect(!off.contains("en livraison"))
    }

    @Test func reservationSectionsOnlyWhenEnabled() {
        let on = prompt()
        #expect(on.contains("- Déjeuner : du lundi au mercredi, de 12h à 14h30, dernière arrivée à 13h45."))
        #expect(on.contains("- Dîner : tous les jours, de 19h à 23h."))
        #expect(!on.contains("Privatisation"))  // private services are not offered by phone
        #expect(on.contains("Menu anniversaire — 29 € — Gâteau offert (à partir de 4 personnes)"))
        let off = prompt { $0.reservationEnabled = false }
        #expect(!off.contains("# RÉSERVATIONS"))
        #expect(!off.contains("# OFFRES"))
        #expect(!off.contains("confirm_reservation"))
        #expect(!off.contains("lookup_reservation"))
    }

    @Test func orderStatusAndTransferRulesFollowFlags() {
        #expect(prompt().contains("check_order_status"))
        #expect(prompt().contains("Transfert vers l'équipe dans ces cas : réclamation"))
        #expect(!prompt { $0.orderStatusEnabled = false }.contains("check_order_status"))
        #expect(!prompt { $0.transferEnabled = false }.contains("transfer_call"))
        #expect(!prompt { $0.transferAutomatic = true }.contains("transfer_call"))
        #expect(!prompt { $0.transferPhoneNumber = nil }.contains("transfer_call"))
    }

    @Test func faqAnswersAndTheRuleNotToInvent() {
        let p = prompt()
        #expect(p.contains("Q : Avez-vous une terrasse ?\nR : Oui, de 20 places."))
        #expect(p.contains("appelle log_new_faq"))
    }

    @Test func knownAndNewCustomerSections() {
        let known = prompt(caller: F.jean)
        #expect(known.contains("Client connu : Jean."))
        #expect(known.contains("Adresse de livraison enregistrée : 12 rue de la Paix, 75002 Paris (code 1234)."))
        #expect(known.contains("n°41"))
        #expect(known.contains("2× Margherita — 28,50 €"))
        let new = prompt()
        #expect(new.contains("Nouveau client"))
        #expect(new.contains("save_customer_info"))
        #expect(!new.contains("Client connu"))
        // Without delivery, a saved address is not proposed.
        #expect(!prompt({ $0.deliveryEnabled = false }, caller: F.jean).contains("Adresse de livraison enregistrée"))
    }

    @Test func rulesAreNumberedAndEndWithGoodbye() {
        let p = prompt()
        let rules = p.components(separatedBy: "# RÈGLES\n")[1]
        #expect(rules.hasPrefix("1. Commence par demander"))
        #expect(rules.contains("check_availability"))
        #expect(rules.contains("Avant confirm_order, récapitule"))
        #expect(rules.contains("end_call"))
    }

    @Test func greetingForKnownAndNewCallers() {
        let t = SessionTemplate(snapshot: F.snapshot())
        #expect(t.greeting(caller: F.jean).contains("Bonjour Jean"))
        #expect(t.greeting(caller: nil).contains("« Chez Test, bonjour ! »"))
        #expect(t.greeting(caller: nil).contains("nouveau client"))
        let plain = SessionTemplate(snapshot: F.snapshot { $0.welcomeMessage = nil })
        #expect(plain.greeting(caller: nil).contains("Chez Test"))
        var nameless = F.jean
        nameless.firstName = nil
        #expect(!t.greeting(caller: nameless).contains("Jean"))
    }
}
