import Foundation

/// The four kitchen resources an order (or an external load) consumes.
public enum KitchenResource: String, CaseIterable, Sendable, Hashable {
    case cuisine, preparation, comptoir, livraison

    var index: Int {
        switch self {
        case .cuisine: 0
        case .preparation: 1
        case .comptoir: 2
        case .livraison: 3
        }
    }
}

/// One step of an order's way through the kitchen: `units` of `resource` for `minutes`.
public struct PlanStep: Sendable, Hashable {
    public var resource: KitchenResource
    public var minutes: Int
    public var units: Int

    public init(_ resource: KitchenResource, minutes: Int, units: Int = 1) {
        self.resource = resource
        self.minutes = minutes
        self.units = units
    }
}

/// Capacities that apply during a band of local time (e.g. a second cook 19:00–21:30); a band whose end is at or
/// before its start runs past midnight. Resources it does not name keep the base capacity.
public struct CapacityBand: Sendable, Hashable {
    public var from: TimeOfDay
    public var to: TimeOfDay
    public var capacity: [KitchenResource: Int]

    public init(from: TimeOfDay, to: TimeOfDay, capacity: [KitchenResource: Int]) {
        self.from = from
        self.to = to
        self.capacity = capacity
    }

    /// Start inclusive, end exclusive.
    public func covers(minuteOfDay m: Int) -> Bool {
        to.minutes > from.minutes ? (m >= from.minutes && m < to.minutes) : (m >= from.minutes || m < to.minutes)
    }
}

/// A restaurant's planning settings (`planningConfig`); every field has a default, so `{}` is a valid config.
public struct PlanningConfig: Sendable, Hashable {
    public var slotMin = 5
    /// How far ahead the engine looks for a next possible time, and the default span of the timeline.
    public var horizonMin = 720
    /// How much later than wanted the engine may plan an order before saying the kitchen is full.
    public var maxShiftMin = 45
    /// Units of each resource available in every slot outside bands.
    public var capacity: [KitchenResource: Int] = [.cuisine: 6, .preparation: 3, .comptoir: 4, .livraison: 3]
    public var bands: [CapacityBand] = []
    /// Kitchen steps per order size, run one after the other from the cook start.
    public var profiles: [OrderSize: [PlanStep]]
    /// A pickup order waits on the counter this long after it is ready (comptoir).
    public var pickupBufferMin = 5
    /// Packing time between the end of cooking and the rider leaving.
    public var deliveryBufferMin = 5
    /// Road distance ÷ great-circle distance, used when no routing provider gives the road distance.
    public var roadFactor = 1.3
    public var deliverySpeedKmh = 20.0

    /// Defaults scaled on the restaurant's average preparation time (a medium order takes about that long).
    public init(avgPrepTimeMin: Int = 20) {
        let a = max(10, avgPrepTimeMin)
        func r(_ m: Int) -> Int { max(5, (m + 4) / 5 * 5) }
        profiles = [
            .s: [PlanStep(.preparation, minutes: 5), PlanStep(.cuisine, minutes: r(a - 10))],
            .m: [PlanStep(.preparation, minutes: 5), PlanStep(.cuisine, minutes: r(a - 5), units: 2)],
            .l: [PlanStep(.preparation, minutes: 10, units: 2), PlanStep(.cuisine, minutes: r(a), units: 3)],
        ]
    }

    public var slot: TimeInterval { TimeInterval(slotMin * 60) }

    public func steps(_ size: OrderSize) -> [PlanStep] { profiles[size] ?? [] }

    /// Minutes from cook start to the end of the last kitchen step.
    public func kitchenMinutes(_ size: OrderSize) -> Int { steps(size).reduce(0) { $0 + $1.minutes } }

    /// Capacity of a resource at a local minute of the day (the first band covering it wins).
    public func capacity(_ r: KitchenResource, minuteOfDay m: Int) -> Int {
        for band in bands where band.covers(minuteOfDay: m) {
            if let c = band.capacity[r] { return c }
        }
        return capacity[r] ?? 0
    }

    /// Delivery travel time in minutes for a road distance, rounded up to whole slots.
    /// Total: a distance that is not a positive finite number counts as none (the edge refuses such input first).
    public func travelMinutes(roadKm: Double) -> Int {
        guard roadKm.isFinite, roadKm > 0 else { return slotMin }
        let raw = (min(roadKm, 100_000) / max(1, deliverySpeedKmh) * 60).rounded(.up)
        let minutes = CheckedNumber.whole(raw, in: 0...10_000_000) ?? 10_000_000
        return max(slotMin, (minutes + slotMin - 1) / slotMin * slotMin)
    }
}

/// An order already on the timeline (from the orders table) or about to be.
public struct KitchenBooking: Sendable, Hashable {
    public var type: OrderType
    public var size: OrderSize
    public var cookStart: Date
    /// End of cooking for pickup; the rider leaving for delivery.
    public var handoff: Date
    /// The time promised to the customer: ready (pickup) or at the door (delivery).
    public var promised: Date
    /// Identical bookings counted once (the store groups them).
    public var count: Int

    public init(type: OrderType, size: OrderSize, cookStart: Date, handoff: Date, promised: Date, count: Int = 1) {
        self.type = type
        self.size = size
        self.cookStart = cookStart
        self.handoff = handoff
        self.promised = promised
        self.count = count
    }

    public struct Use: Sendable, Hashable {
        public var resource: KitchenResource
        public var start: Date
        public var end: Date
        public var units: Int
    }

    /// What it consumes: its kitchen steps in a row, then the counter (pickup) or a rider there and back (delivery).
    public func uses(_ config: PlanningConfig) -> [Use] {
        var out: [Use] = []
        var t = cookStart
        for step in config.steps(size) {
            let end = t.addingTimeInterval(TimeInterval(step.minutes * 60))
            out.append(Use(resource: step.resource, start: t, end: end, units: step.units * count))
            t = end
        }
        switch type {
        case .pickup:
            out.append(Use(resource: .comptoir, start: handoff, end: handoff.addingTimeInterval(TimeInterval(config.pickupBufferMin * 60)), units: count))
        case .delivery:
            let trip = max(0, promised.timeIntervalSince(handoff))
            out.append(Use(resource: .livraison, start: handoff, end: handoff.addingTimeInterval(2 * trip), units: count))
        case .dineIn:
            break
        }
        return out
    }
}

/// Capacity taken by something that is not a phone order: a dine-in rush, an incident, a preparation batch.
public struct KitchenLoad: Sendable, Hashable {
    public var id: UUID?
    public var kind: String
    public var start: Date
    public var end: Date
    public var units: [KitchenResource: Int]

    public init(id: UUID? = nil, kind: String, start: Date, end: Date, units: [KitchenResource: Int]) {
        self.id = id
        self.kind = kind
        self.start = start
        self.end = end
        self.units = units
    }
}

/// A planned order: when cooking starts, when it leaves the kitchen, when the customer gets it.
public struct KitchenPlan: Sendable, Hashable {
    public var booking: KitchenBooking
    /// Minutes later than wanted (0 when the wanted time could be kept).
    public var shiftedMin: Int
    public var travelMin: Int

    public var promised: Date { booking.promised }
}

public enum Scheduling: Sendable, Hashable {
    case planned(KitchenPlan)
    /// Not open at any time that could be promised; the next opening and the first time really possible after it.
    case closed(nextOpening: Date?, nextFeasible: Date?)
    /// Open, but the kitchen cannot take it within `maxShiftMin`; the first time possible later (within the horizon).
    case full(nextFeasible: Date?)
}

/// The kitchen's 5-minute timeline over a window: the capacity of every resource in every slot, what orders
/// and external loads already use, and the earliest feasible time for a new order.
public struct Kitchen: Sendable {
    public let config: PlanningConfig
    public let schedule: OpeningSchedule
    public let now: Date
    /// Start of slot 0 (aligned on the slot length since the epoch, hence on local clock times).
    public let origin: Date
    public let slotCount: Int
    private var used: [[Int]]
    private let caps: [[Int]]

    /// A timeline over `window` (widened to whole slots) with `bookings` and `loads` already placed.
    public init(config: PlanningConfig, schedule: OpeningSchedule, now: Date, window: DateInterval,
                bookings: [KitchenBooking] = [], loads: [KitchenLoad] = []) {
        self.config = config
        self.schedule = schedule
        self.now = now
        let slot = config.slot
        origin = Date(timeIntervalSince1970: (window.start.timeIntervalSince1970 / slot).rounded(.down) * slot)
        slotCount = CheckedNumber.clamped(window.end.timeIntervalSince(origin) / slot, rounding: .up, to: 1...100_000)
        var caps = Array(repeating: Array(repeating: 0, count: slotCount), count: KitchenResource.allCases.count)
        for k in 0..<slotCount {
            let m = schedule.time.minuteOfDay(origin.addingTimeInterval(Double(k) * slot))
            for r in KitchenResource.allCases { caps[r.index][k] = config.capacity(r, minuteOfDay: m) }
        }
        self.caps = caps
        used = Array(repeating: Array(repeating: 0, count: slotCount), count: KitchenResource.allCases.count)
        for b in bookings { book(b) }
        for l in loads {
            for (r, units) in l.units { add(r, l.start, l.end, units) }
        }
    }

    /// Slot indexes a time span touches, clipped to the window.
    private func slots(_ start: Date, _ end: Date) -> Range<Int> {
        let a = CheckedNumber.clamped(start.timeIntervalSince(origin) / config.slot, rounding: .down, to: -1...slotCount + 1)
        let b = CheckedNumber.clamped(end.timeIntervalSince(origin) / config.slot, rounding: .up, to: -1...slotCount + 1)
        let lo = max(0, a), hi = min(slotCount, b)
        return lo < hi ? lo..<hi : 0..<0
    }

    private mutating func add(_ r: KitchenResource, _ start: Date, _ end: Date, _ units: Int) {
        for k in slots(start, end) { used[r.index][k] += units }
    }

    /// Puts an order on the timeline.
    public mutating func book(_ b: KitchenBooking) {
        for u in b.uses(config) { add(u.resource, u.start, u.end, u.units) }
    }

    /// Whether a booking fits. An order needing more units than a resource has at all takes all of it (a large
    /// order with one cook occupies the cook), so it needs the resource free rather than being impossible.
    public func fits(_ b: KitchenBooking) -> Bool {
        for u in b.uses(config) {
            for k in slots(u.start, u.end) {
                let cap = caps[u.resource.index][k]
                let need = cap > 0 ? min(u.units, cap) : u.units
                if used[u.resource.index][k] + need > cap { return false }
            }
        }
        return true
    }

    public func alignUp(_ t: Date) -> Date {
        Date(timeIntervalSince1970: (t.timeIntervalSince1970 / config.slot).rounded(.up) * config.slot)
    }

    /// Minutes between the cook start and the promised time.
    public func leadMinutes(_ type: OrderType, _ size: OrderSize, travelMin: Int) -> Int {
        config.kitchenMinutes(size) + (type == .delivery ? config.deliveryBufferMin + travelMin : 0)
    }

    /// The booking that delivers `promised` exactly.
    public func booking(_ type: OrderType, _ size: OrderSize, promised: Date, travelMin: Int) -> KitchenBooking {
        let handoff = type == .delivery ? promised.addingTimeInterval(-TimeInterval(travelMin * 60)) : promised
        let cookStart = promised.addingTimeInterval(-TimeInterval(leadMinutes(type, size, travelMin: travelMin) * 60))
        return KitchenBooking(type: type, size: size, cookStart: cookStart, handoff: handoff, promised: promised)
    }

    /// The earliest promise the kitchen can still make if it started now.
    public func earliestPromise(_ type: OrderType, _ size: OrderSize, travelMin: Int) -> Date {
        alignUp(now.addingTimeInterval(TimeInterval(leadMinutes(type, size, travelMin: travelMin) * 60)))
    }

    private func feasible(_ type: OrderType, _ size: OrderSize, _ p: Date, travelMin: Int) -> KitchenBooking? {
        guard schedule.isOpen(at: p) else { return nil }
        let b = booking(type, size, promised: p, travelMin: travelMin)
        return fits(b) ? b : nil
    }

    /// The first feasible promise in `[from, to]` (slot steps), if any.
    public func firstFeasible(_ type: OrderType, _ size: OrderSize, from: Date, to: Date, travelMin: Int) -> Date? {
        var p = alignUp(max(from, earliestPromise(type, size, travelMin: travelMin)))
        while p <= to {
            if feasible(type, size, p, travelMin: travelMin) != nil { return p }
            p = p.addingTimeInterval(config.slot)
        }
        return nil
    }

    /// Plans an order: the earliest feasible promise at or after `wanted` (as soon as possible when nil), moved
    /// at most `maxShiftMin` later. `exact` plans at `wanted` or not at all (confirming a time already announced;
    /// a cook start up to one slot late is tolerated, the minutes between the check and the confirmation).
    public func plan(_ type: OrderType, size: OrderSize, wanted: Date?, travelMin: Int = 0, exact: Bool = false) -> Scheduling {
        let horizon = TimeInterval(config.horizonMin * 60)
        let earliest = earliestPromise(type, size, travelMin: travelMin)
        if exact, let wanted {
            let b = booking(type, size, promised: wanted, travelMin: travelMin)
            if b.cookStart >= now.addingTimeInterval(-config.slot), schedule.isOpen(at: wanted), fits(b) {
                return .planned(KitchenPlan(booking: b, shiftedMin: 0, travelMin: travelMin))
            }
            if !schedule.isOpen(at: wanted) {
                let next = schedule.nextOpening(after: wanted)
                return .closed(nextOpening: next, nextFeasible: next.flatMap { firstFeasible(type, size, from: $0, to: $0.addingTimeInterval(horizon), travelMin: travelMin) })
            }
            return .full(nextFeasible: firstFeasible(type, size, from: wanted, to: wanted.addingTimeInterval(horizon), travelMin: travelMin))
        }
        if wanted == nil, !schedule.isOpen(at: now) {
            // "As soon as possible" while closed: the agent offers the next opening rather than a silent wait.
            let next = schedule.nextOpening(after: now)
            return .closed(nextOpening: next, nextFeasible: next.flatMap { firstFeasible(type, size, from: $0, to: $0.addingTimeInterval(horizon), travelMin: travelMin) })
        }
        let base = wanted.map(alignUp) ?? earliest
        let start = max(base, earliest)
        let limit = start.addingTimeInterval(TimeInterval(config.maxShiftMin * 60))
        var sawOpen = false
        var p = start
        while p <= limit {
            if schedule.isOpen(at: p) {
                sawOpen = true
                let b = booking(type, size, promised: p, travelMin: travelMin)
                if fits(b) {
                    return .planned(KitchenPlan(booking: b, shiftedMin: CheckedNumber.clamped(p.timeIntervalSince(base) / 60, to: -100_000...100_000), travelMin: travelMin))
                }
            }
            p = p.addingTimeInterval(config.slot)
        }
        if !sawOpen {
            let next = schedule.nextOpening(after: start)
            return .closed(nextOpening: next, nextFeasible: next.flatMap { firstFeasible(type, size, from: $0, to: $0.addingTimeInterval(horizon), travelMin: travelMin) })
        }
        return .full(nextFeasible: firstFeasible(type, size, from: limit.addingTimeInterval(config.slot), to: start.addingTimeInterval(horizon), travelMin: travelMin))
    }

    /// Every feasible promise in `[from, to]`.
    public func availableSlots(_ type: OrderType, size: OrderSize, from: Date, to: Date, travelMin: Int = 0) -> [Date] {
        var out: [Date] = []
        var p = alignUp(max(from, earliestPromise(type, size, travelMin: travelMin)))
        while p <= to {
            if feasible(type, size, p, travelMin: travelMin) != nil { out.append(p) }
            p = p.addingTimeInterval(config.slot)
        }
        return out
    }

    public struct SlotState: Sendable, Hashable {
        public var start: Date
        public var open: Bool
        public var used: [KitchenResource: Int]
        public var capacity: [KitchenResource: Int]
    }

    /// The slots of the window with their use and capacity per resource.
    public func timeline() -> [SlotState] {
        (0..<slotCount).map { k in
            let start = origin.addingTimeInterval(Double(k) * config.slot)
            var u: [KitchenResource: Int] = [:]
            var c: [KitchenResource: Int] = [:]
            for r in KitchenResource.allCases {
                u[r] = used[r.index][k]
                c[r] = caps[r.index][k]
            }
            return SlotState(start: start, open: schedule.isOpen(at: start), used: u, capacity: c)
        }
    }

    public func used(_ r: KitchenResource, at t: Date) -> Int {
        let k = CheckedNumber.clamped(t.timeIntervalSince(origin) / config.slot, rounding: .down, to: -1...slotCount)
        return (0..<slotCount).contains(k) ? used[r.index][k] : 0
    }
}
