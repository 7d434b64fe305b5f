import AlloRestoCore
import Foundation

/// What the delivery checks say: an address out of range or that cannot be placed (`DeliveryQuote.Refused`).
enum DeliveryWording {
    static func refusal(_ r: DeliveryQuote.Refused) -> Refusal {
        switch r {
        case .outOfRange(let road, let radius):
            Refusal(r.code, "Désolé, cette adresse est à \(DeliveryQuote.km(road)) km du restaurant : nous livrons jusqu'à \(DeliveryQuote.km(radius)) km.")
        case .addressMissing: Refusal(r.code, "Quelle est l'adresse de livraison ?")
        case .addressNotFound: Refusal(r.code, "Je ne trouve pas cette adresse. Pouvez-vous me redonner le numéro, la rue et la ville ?")
        case .addressUnplaceable: Refusal(r.code, "Je ne peux pas situer cette nouvelle adresse : pouvez-vous me donner le code postal et la ville ?")
        case .geocoderUnavailable:
            Refusal(r.code, "Je ne peux pas vérifier l'adresse pour le moment. Je peux vous proposer de venir chercher la commande, ou laisser un message au restaurant.")
        }
    }

    /// `confirm_order` for a delivery no availability check measured, and no saved address to measure.
    static let addressNotChecked = Refusal("address_missing", "Quelle est l'adresse de livraison ? Je dois d'abord vérifier qu'elle est dans notre zone.")
}
