import AlloRestoStore
import Foundation

/// What `save_customer_info`, `log_new_faq` and `leave_message` say to the caller (new or replayed, from the same facts).
enum CommunicationWording {
    /// `save_customer_info`'s thanks, by first name when known.
    static func saved(firstName: String?) -> String { firstName.map { "Merci \($0), c'est noté." } ?? "C'est noté." }

    /// The answer of `log_new_faq`: the restaurant's answer when it has one, else the promise to pass it on.
    struct Logged: Encodable {
        let success = true
        let message: String
        let answer: String?
        let askCount: Int
    }

    static func logged(_ a: CommunicationBook.Asked) -> Logged {
        let message = a.answer.map { "Le restaurant a déjà répondu : \($0)" }
            ?? "Je transmets votre question au restaurant, qui vous répondra ou l'ajoutera à nos informations."
        return Logged(message: message, answer: a.answer, askCount: a.askCount)
    }

    /// The answer of `leave_message`.
    struct Left: Encodable {
        let success = true
        let message: String
        let id: String
    }

    static func left(_ l: CommunicationBook.Left) -> Left {
        Left(message: l.isUrgent ? "Votre message est transmis en urgence à l'équipe." : "Votre message est bien transmis à l'équipe.",
             id: l.id.uuidString.lowercased())
    }
}
