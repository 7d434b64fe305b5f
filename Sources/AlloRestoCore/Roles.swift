/// A back-office account's role in one restaurant: its **owner** (everything about it) or its **staff** (running
/// the service: orders, reservations, messages, questions). Platform admins are not members: they reach every
/// restaurant.
public enum MemberRole: String, Sendable, CaseIterable, Codable, Equatable {
    case owner, staff

    /// The role's name in the back office.
    public var label: String {
        switch self {
        case .owner: "propriétaire"
        case .staff: "équipe"
        }
    }
}

/// What a back-office page or API needs, from the least to the most trusted.
public enum Permission: String, Sendable, CaseIterable, Equatable {
    /// Running the service: the orders board, reservations (with their actions), caller messages, the agent's
    /// unanswered questions, today's kitchen plan.
    case operateService
    /// Changing how the restaurant works: settings, opening hours, menu and prices, planning, offers, rooms and
    /// tables, blocked numbers, the calls log, the audit log.
    case manageRestaurant
    /// The restaurant's secrets: its SIP line, its management keys, its agent token.
    case manageSecrets
    /// Inviting and removing staff members.
    case manageStaff
    /// The platform: every restaurant, creating one, inviting owners, the voice servers, provisioning.
    case platform
}

/// Who may do what: a platform admin everything; an owner everything about their restaurants but the platform; a
/// staff member only the service. One rule, used by every page and API.
public enum AccessRule {
    public static func allows(platformAdmin: Bool, role: MemberRole?, _ permission: Permission) -> Bool {
        if platformAdmin { return true }
        switch role {
        case .owner?: return permission != .platform
        case .staff?: return permission == .operateService
        case nil: return false
        }
    }
}
