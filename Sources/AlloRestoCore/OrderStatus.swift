/// An order's status and the moves between them — the one definition the order board, the kitchen planner, the
/// caller's cancellation, the back office and the spoken labels use (SPEC §5 `get_order_status`, `cancel_order`).
public enum OrderStatus: String, CaseIterable, Sendable {
    case pending, confirmed, preparing, ready, delivering, completed, cancelled

    /// The statuses in the kitchen's order (`pending` first, the two end states last): the board's sort order.
    public static let flow: [OrderStatus] = allCases

    /// Where the restaurant may move an order from this status: forward through the kitchen, or cancelled before
    /// it is handed over; nothing leaves `completed` or `cancelled`.
    public var next: Set<OrderStatus> {
        switch self {
        case .pending: [.confirmed, .preparing, .cancelled]
        case .confirmed: [.preparing, .ready, .cancelled]
        case .preparing: [.ready, .delivering, .completed, .cancelled]
        case .ready: [.delivering, .completed, .cancelled]
        case .delivering: [.completed]
        case .completed, .cancelled: []
        }
    }

    /// Whether the restaurant may move an order of this status to `target` (`next`); only a delivery goes
    /// `delivering`.
    public func mayMove(to target: OrderStatus, delivery: Bool) -> Bool { next.contains(target) && (target != .delivering || delivery) }

    /// Still in the restaurant's hands: the order holds kitchen capacity and shows on the board.
    public var isActive: Bool { !next.isEmpty }

    /// The caller may still cancel it on the phone: the kitchen has not started.
    public var callerMayCancel: Bool { self == .pending || self == .confirmed }

    /// The statuses a caller may still cancel from, as stored (`pending`, `confirmed`).
    public static let callerCancellable: [String] = allCases.filter(\.callerMayCancel).map(\.rawValue)

    /// The active statuses as stored, for SQL filters.
    public static let active: [String] = allCases.filter(\.isActive).map(\.rawValue)

    /// The status as the agent says it and the back office shows it (French): `en préparation`, `prête`…
    public var label: String {
        switch self {
        case .pending: "en attente de confirmation"
        case .confirmed: "confirmée"
        case .preparing: "en préparation"
        case .ready: "prête"
        case .delivering: "en cours de livraison"
        case .completed: "remise"
        case .cancelled: "annulée"
        }
    }

    /// The label of a stored status; an unknown one is shown as stored.
    public static func label(_ raw: String) -> String { OrderStatus(rawValue: raw)?.label ?? raw }

    /// Kitchen order of two stored statuses (unknown ones last).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        (flow.firstIndex { $0.rawValue == a } ?? flow.count) < (flow.firstIndex { $0.rawValue == b } ?? flow.count)
    }
}
