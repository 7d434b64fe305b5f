import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The 20 ms clock of one media event loop. Its calls are spread over 20 phases 1 ms apart; each phase is one
/// timer that sends the frames of all its calls, so the loop wakes 1,000 times a second whatever the number of
/// calls (one timer per call woke it 50 times a second per call, and the wake-ups were most of the cost). Every call
/// keeps its own schedule (and catch-up) in `MediaSession.tick`. Confined to its event loop.
final class MediaClock: @unchecked Sendable {
    static let phases = 20
    let loop: any EventLoop
    private let origin = NIODeadline.now()
    private var members: [[MediaSession]] = Array(repeating: [], count: phases)
    private var next: [NIODeadline?] = Array(repeating: nil, count: phases)
    private var timers: [Scheduled<Void>?] = Array(repeating: nil, count: phases)

    init(loop: any EventLoop) { self.loop = loop }

    /// Adds a call to the least busy phase; its first frame goes at that phase's next instant (within 20 ms).
    func add(_ session: MediaSession) {
        loop.execute {
            guard !session.isClosed else { return }  // ended before its first frame: nothing to remove later
            let phase = self.members.indices.min { self.members[$0].count < self.members[$1].count }!
            self.members[phase].append(session)
            if let instant = self.next[phase] {
                session.startSchedule(at: instant)
            } else {
                let offset = self.origin + .milliseconds(Int64(phase))
                let elapsed = (NIODeadline.now() + .milliseconds(1) - offset).nanoseconds
                let periods = elapsed <= 0 ? 0 : (elapsed + 19_999_999) / 20_000_000
                let instant = offset + .nanoseconds(periods * 20_000_000)
                session.startSchedule(at: instant)
                self.arm(phase, at: instant)
            }
        }
    }

    func remove(_ session: MediaSession) {
        loop.execute {
            for phase in self.members.indices {
                guard let i = self.members[phase].firstIndex(where: { $0 === session }) else { continue }
                self.members[phase].remove(at: i)
                if self.members[phase].isEmpty {
                    self.timers[phase]?.cancel()
                    self.timers[phase] = nil
                    self.next[phase] = nil
                }
                return
            }
        }
    }

    private func arm(_ phase: Int, at instant: NIODeadline) {
        next[phase] = instant
        timers[phase] = loop.scheduleTask(deadline: instant) { [self] in
            let sessions = members[phase]
            guard !sessions.isEmpty else { return }
            for session in sessions { session.tick(slot: instant) }
            arm(phase, at: instant + .milliseconds(20))
        }
    }
}

/// One clock per media event loop.
struct MediaClocks: Sendable {
    private let clocks: [ObjectIdentifier: MediaClock]

    init(group: MultiThreadedEventLoopGroup) {
        var clocks: [ObjectIdentifier: MediaClock] = [:]
        for loop in group.makeIterator() { clocks[ObjectIdentifier(loop)] = MediaClock(loop: loop) }
        self.clocks = clocks
    }

    /// The clock of one of the group's loops (a socket bound on that group is always on one of them).
    func clock(for loop: any EventLoop) -> MediaClock {
        guard let clock = clocks[ObjectIdentifier(loop)] else { preconditionFailure("an event loop outside the media group") }
        return clock
    }
}
