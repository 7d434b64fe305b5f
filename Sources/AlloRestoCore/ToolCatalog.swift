import Foundation

/// The names of the agent's tools, in the order sip-agent-server receives them.
public enum ToolName: String, CaseIterable, Sendable, Codable {
    case checkAvailability = "check_availability"
    case confirmOrder = "confirm_order"
    case saveCustomerInfo = "save_customer_info"
    case logNewFaq = "log_new_faq"
    case leaveMessage = "leave_message"
    case confirmReservation = "confirm_reservation"
    case checkOrderStatus = "check_order_status"
    case cancelOrder = "cancel_order"
    case lookupReservation = "lookup_reservation"
    case cancelReservation = "cancel_reservation"
    case transferCall = "transfer_call"
    case endCall = "end_call"
}

/// One OpenAI Realtime function definition: `{type:"function", name, description, parameters}`.
public struct ToolDefinition: Sendable, Hashable, Encodable {
    public let type = "function"
    public let name: String
    public let description: String
    public let parameters: JSONValue

    enum CodingKeys: String, CodingKey { case type, name, description, parameters }
}

/// Which features a restaurant has on, deciding which tools and prompt sections exist.
public struct FeatureFlags: Sendable, Hashable {
    public var deliveryEnabled: Bool
    public var reservationEnabled: Bool
    public var orderStatusEnabled: Bool
    public var agentCanTransfer: Bool

    public init(deliveryEnabled: Bool, reservationEnabled: Bool, orderStatusEnabled: Bool, agentCanTransfer: Bool) {
        self.deliveryEnabled = deliveryEnabled
        self.reservationEnabled = reservationEnabled
        self.orderStatusEnabled = orderStatusEnabled
        self.agentCanTransfer = agentCanTransfer
    }

    public init(_ r: RestaurantProfile) {
        self.init(
            deliveryEnabled: r.deliveryEnabled, reservationEnabled: r.reservationEnabled,
            orderStatusEnabled: r.orderStatusEnabled, agentCanTransfer: r.agentCanTransfer)
    }

    public static let all = FeatureFlags(deliveryEnabled: true, reservationEnabled: true, orderStatusEnabled: true, agentCanTransfer: true)
}

/// The single source of the agent's tool definitions (names, descriptions, JSON Schemas).
public enum ToolCatalog {
    /// The tools a restaurant's agent gets, in the contract order; features that are off remove their tools.
    public static func tools(for flags: FeatureFlags) -> [ToolDefinition] {
        ToolName.allCases.filter { isOffered($0, flags) }.map { definition($0, flags: flags) }
    }

    public static func isOffered(_ tool: ToolName, _ flags: FeatureFlags) -> Bool {
        switch tool {
        case .confirmReservation, .lookupReservation, .cancelReservation: flags.reservationEnabled
        case .checkOrderStatus, .cancelOrder: flags.orderStatusEnabled
        case .transferCall: flags.agentCanTransfer
        default: true
        }
    }

    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        [
            "type": "object",
            "properties": .object(properties),
            "required": .array(required.map(JSONValue.string)),
            "additionalProperties": false,
        ]
    }

    static func string(_ description: String, enum values: [String]? = nil, format: String? = nil, pattern: String? = nil) -> JSONValue {
        var o: [String: JSONValue] = ["type": "string", "description": .string(description)]
        if let values { o["enum"] = .array(values.map(JSONValue.string)) }
        if let format { o["format"] = .string(format) }
        if let pattern { o["pattern"] = .string(pattern) }
        return .object(o)
    }

    static func integer(_ description: String, minimum: Int? = nil, maximum: Int? = nil) -> JSONValue {
        var o: [String: JSONValue] = ["type": "integer", "description": .string(description)]
        if let minimum { o["minimum"] = .int(minimum) }
        if let maximum { o["maximum"] = .int(maximum) }
        return .object(o)
    }

    static func number(_ description: String, minimum: Double? = nil) -> JSONValue {
        var o: [String: JSONValue] = ["type": "number", "description": .string(description)]
        if let minimum { o["minimum"] = .double(minimum) }
        return .object(o)
    }

    static func boolean(_ description: String) -> JSONValue {
        ["type": "boolean", "description": .string(description)]
    }

    static let hhmm = "^([01]?[0-9]|2[0-3])[:h][0-5][0-9]$"
    static let isoDay = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

    public static func definition(_ tool: ToolName, flags: FeatureFlags = .all) -> ToolDefinition {
        switch tool {
        case .checkAvailability:
            var modes = ["pickup"]
            if flags.deliveryEnabled { modes.append("delivery") }
            if flags.reservationEnabled { modes.append("reservation") }
            var props: [String: JSONValue] = [
                "mode": string("pickup = à emporter, delivery = livraison, reservation = table au restaurant.", enum: modes),
                "requested_time": string(
                    "Heure souhaitée par le client, heure locale HH:MM. Omettre pour « dès que possible ».", pattern: hhmm),
                "order_item_count": integer("Nombre total d'articles de la commande (pour estimer la charge en cuisine).", minimum: 1),
            ]
            if flags.deliveryEnabled {
                props["customer_address"] = string("Livraison : numéro et rue.")
                props["customer_city"] = string("Livraison : ville.")
                props["customer_postal_code"] = string("Livraison : code postal.")
            }
            if flags.reservationEnabled {
                props["requested_date"] = string("Réservation : date AAAA-MM-JJ si ce n'est pas aujourd'hui.", format: "date", pattern: isoDay)
                props["party_size"] = integer("Réservation : nombre de personnes.", minimum: 1, maximum: 50)
                props["seating_preference"] = string("Réservation : préférence de placement.", enum: ["interieur", "terrasse", "bar", "indifferent"])
            }
            return ToolDefinition(
                name: tool.rawValue,
                description: "Vérifie la disponibilité et l'heure réalisable AVANT toute confirmation : à emporter, livraison (distance, frais) ou réservation (places). Annonce au client l'heure renvoyée (estimatedTime).",
                parameters: object(props, required: ["mode"]))

        case .confirmOrder:
            var types = ["pickup"]
            if flags.deliveryEnabled { types.append("delivery") }
            types.append("dine_in")
            let option: JSONValue = object(
                [
                    "name": string("Nom de l'option, par exemple « Taille ».") ,
                    "choice": string("Libellé du choix, par exemple « Grande (33cm) »."),
                    "choice_id": integer("Pour un choix de formule : le numéro #N de l'article choisi.", minimum: 1),
                    "extra_price": number("Supplément annoncé pour ce choix, en euros.", minimum: 0),
                ], required: ["name", "choice"])
            let item: JSONValue = object(
                [
                    "id": integer("Numéro #N de l'article ou de la formule dans la carte.", minimum: 1),
                    "quantity": integer("Quantité.", minimum: 1, maximum: 50),
                    "unit_price": number("Prix unitaire annoncé, suppléments compris, en euros.", minimum: 0),
                    "selected_options": ["type": "array", "items": option, "description": "Options et choix de formule retenus."],
                    "notes": string("Demande particulière pour cet article (sans oignons…)."),
                ], required: ["id", "quantity"])
            return ToolDefinition(
                name: tool.rawValue,
                description: "Enregistre la commande après le récapitulatif et l'accord explicite du client. Le serveur recalcule les prix : annonce le total et l'heure qu'il renvoie.",
                parameters: object(
                    [
                        "order_type": string("Mode de la commande.", enum: types),
                        "items": ["type": "array", "minItems": 1, "items": item, "description": "Lignes de la commande."],
                        "total": number("Total annoncé au client, en euros.", minimum: 0),
                        "delivery_fee": number("Frais de livraison annoncés, en euros.", minimum: 0),
                        "payment_method": string("Moyen de paiement.", enum: ["cash", "card", "online"]),
                        "notes": string("Remarque générale sur la commande."),
                    ], required: ["order_type", "items"]))

        case .saveCustomerInfo:
            var props: [String: JSONValue] = ["first_name": string("Prénom du client.")]
            if flags.deliveryEnabled {
                props["delivery_address"] = string("Numéro et rue de livraison.")
                props["delivery_city"] = string("Ville de livraison.")
                props["delivery_postal_code"] = string("Code postal de livraison.")
                props["delivery_notes"] = string("Digicode, étage, indications pour le livreur.")
            }
            return ToolDefinition(
                name: tool.rawValue,
                description: "Enregistre le prénom du client (et son adresse de livraison) dès qu'il les donne, pour le reconnaître aux prochains appels.",
                parameters: object(props, required: ["first_name"]))

        case .logNewFaq:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Transmet au restaurant une question à laquelle tu ne sais pas répondre. Ne jamais inventer de réponse.",
                parameters: object(
                    [
                        "question": string("La question du client, reformulée simplement."),
                        "category": string("Thème de la question.", enum: ["horaires", "menu", "allergenes", "livraison", "paiement", "reservation", "acces", "autre"]),
                    ], required: ["question"]))

        case .leaveMessage:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Laisse un message au restaurant de la part du client (rappel, réclamation, demande particulière).",
                parameters: object(
                    [
                        "caller_name": string("Nom ou prénom de la personne qui laisse le message."),
                        "content": string("Le message, complet et fidèle."),
                        "category": string("Nature du message.", enum: ["commande", "reservation", "reclamation", "information", "rappel", "autre"]),
                        "is_urgent": boolean("Vrai si le restaurant doit traiter le message immédiatement."),
                    ], required: ["content"]))

        case .confirmReservation:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Enregistre la réservation de table après check_availability (mode reservation) et l'accord du client.",
                parameters: object(
                    [
                        "customer_name": string("Nom pour la réservation."),
                        "party_size": integer("Nombre de personnes.", minimum: 1, maximum: 50),
                        "reservation_time": string("Heure de la réservation : estimatedTimeISO renvoyé par check_availability, ou HH:MM local."),
                        "reservation_date": string("Date AAAA-MM-JJ si ce n'est pas aujourd'hui.", format: "date", pattern: isoDay),
                        "seating_preference": string("Préférence de placement.", enum: ["interieur", "terrasse", "bar", "indifferent"]),
                        "service_id": string("serviceId renvoyé par check_availability."),
                        "offer_id": string("Offre choisie par le client, le cas échéant."),
                        "notes": string("Occasion, allergie, chaise haute…"),
                    ], required: ["customer_name", "party_size", "reservation_time"]))

        case .checkOrderStatus:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Retrouve les commandes récentes (24 h) du numéro qui appelle et leur état.",
                parameters: object([:]))

        case .cancelOrder:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Annule une commande du client, seulement si elle n'est pas encore en préparation. Demande confirmation avant.",
                parameters: object(["order_number": integer("Numéro de la commande, donné par check_order_status.", minimum: 1)], required: ["order_number"]))

        case .lookupReservation:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Retrouve les réservations à venir du numéro qui appelle.",
                parameters: object([:]))

        case .cancelReservation:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Annule une réservation du client trouvée avec lookup_reservation. Demande confirmation avant.",
                parameters: object(["reservation_id": string("id de la réservation renvoyé par lookup_reservation.")], required: ["reservation_id"]))

        case .transferCall:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Transfère l'appel à une personne du restaurant, dans les cas prévus ou si le client le demande expressément. Préviens le client avant.",
                parameters: object(["reason": string("Pourquoi l'appel est transféré.")], required: ["reason"]))

        case .endCall:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Raccroche, uniquement après avoir dit au revoir et quand le client n'a plus de demande.",
                parameters: object(["reason": string("Motif de fin d'appel.", enum: ["termine", "client_raccroche", "hors_sujet", "transfert"])]))
        }
    }
}
