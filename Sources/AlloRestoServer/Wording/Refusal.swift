import AlloRestoCore
import Foundation

/// A business refusal as the agent relays it: the rule's wire `code` and the French sentence built here from a
/// typed refusal (`PricingRefused`, `ReservationRules.Refused`, `DeliveryQuote.Refused`…). Answered as HTTP 200
/// `{success:false, error, code}` (`ToolResponse.refusal`), or by `check_availability` as `{available:false,
/// reason, message}`.
struct Refusal: Error, Sendable, Hashable {
    let code: String
    let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Pieces of French shared by the tools' sentences.
enum Spoken {
    /// A time spoken by `OpeningSchedule.spoken`, after a verb: `19h` → `à 19h`; `demain à 11h30` stays.
    static func at(_ spoken: String) -> String { spoken.contains(" à ") ? spoken : "à \(spoken)" }

    /// The same, approximately: `19h` → `vers 19h`; `demain à 11h30` stays.
    static func around(_ spoken: String) -> String { spoken.contains(" à ") ? spoken : "vers \(spoken)" }

    /// A count and its noun, plural from 2: `1 personne`, `2 places`.
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n > 1 ? "s" : "")" }

    /// A number of people: `1 personne`, `2 personnes`.
    static func people(_ n: Int) -> String { count(n, "personne") }

    /// A duration as said (`une heure`, `2 heures`, `1 heure 30`, `45 minutes`).
    static func duration(_ minutes: Int) -> String {
        if minutes % 60 == 0 { return minutes == 60 ? "une heure" : "\(minutes / 60) heures" }
        if minutes > 60 { return "\(minutes / 60) heure\(minutes >= 120 ? "s" : "") \(minutes % 60)" }
        return "\(minutes) minutes"
    }
}

/// What the caller's number and the time they asked for are refused with, in every tool.
enum CallerWording {
    /// A requested time or date refused (`RequestedTime.Refused`): a question the agent can ask back.
    static func sentence(_ reason: RequestedTime.Refused.Reason) -> String {
        switch reason {
        case .missingTime(let date): "À quelle heure, le \(date) ?"
        case .timeNotUnderstood(let text): "Je n'ai pas compris l'heure « \(text) » : pouvez-vous la redire, par exemple 19h30 ?"
        case .dateNotUnderstood(let text): "Je n'ai pas compris le jour « \(text) » : pouvez-vous le redire, par exemple samedi ou le 5 décembre ?"
        case .datePast(let d): "Le \(d.french) est déjà passé : pour quel jour souhaitez-vous ?"
        case .timePast(let date, let time, let today):
            "\(today ? time.french : "Le \(date.french) à \(time.french)") est déjà passé : à quelle heure souhaitez-vous ?"
        }
    }

    /// No usable caller number, for a tool that only answers the number that placed the order or booking.
    static func unknownCaller(_ purpose: UnknownCaller) -> Refusal {
        switch purpose {
        case .cancelOrder: Refusal("caller_unknown", "Je ne peux annuler une commande que depuis le numéro qui l'a passée.")
        case .orderStatus: Refusal("caller_unknown", "Je n'ai pas votre numéro : je ne peux donner le suivi d'une commande qu'au numéro qui l'a passée.")
        case .cancelReservation: Refusal("caller_unknown", "Je n'ai pas votre numéro : je ne peux annuler une réservation que depuis le numéro qui l'a faite.")
        }
    }

    /// What a tool needed the caller's number for.
    enum UnknownCaller { case cancelOrder, orderStatus, cancelReservation }

    /// A phone number that is not one (`save_customer_info`).
    static let phoneInvalid = Refusal("phone_invalid", "Ce numéro de téléphone ne semble pas valide.")
}
