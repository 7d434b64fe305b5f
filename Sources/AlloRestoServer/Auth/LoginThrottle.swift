import Foundation
import HummingbirdBcrypt
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

/// Failed logins counted per account and per client address, with a growing lock: after `freeFailures` failures
/// in a row, each further failure locks the key for `baseDelay`, then twice as long, up to `maxDelay`. A login
/// attempted while locked is answered 429 with `Retry-After` without checking the password (no bcrypt work). A
/// success clears the account's count. Counts are forgotten `forgetAfter` after the last failure. In memory, per
/// replica; the clock is injected.
public actor LoginThrottle {
    /// The limits of one kind of key.
    public struct Policy: Sendable {
        public var freeFailures: Int
        public var baseDelay: TimeInterval
        public var maxDelay: TimeInterval
        public var forgetAfter: TimeInterval

        public init(freeFailures: Int, baseDelay: TimeInterval = 1, maxDelay: TimeInterval = 900, forgetAfter: TimeInterval = 3600) {
            self.freeFailures = freeFailures
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
            self.forgetAfter = forgetAfter
        }

        /// Per account: 3 failures free, then 1 s, 2 s, 4 s … 15 min.
        public static let account = Policy(freeFailures: 3)
        /// Per client address (an office or a restaurant behind one NAT shares it): 10 failures free.
        public static let address = Policy(freeFailures: 10)
    }

    struct Record {
        var failures: Int
        var last: Date
        var lockedUntil: Date?
    }

    let accountPolicy: Policy
    let addressPolicy: Policy
    /// Most keys kept; beyond, expired records are dropped first.
    let capacity: Int
    private var records: [String: Record] = [:]

    public init(account: Policy = .account, address: Policy = .address, capacity: Int = 100_000) {
        accountPolicy = account
        addressPolicy = address
        self.capacity = capacity
    }

    static func accountKey(_ email: String) -> String { "account|" + email.trimmingCharacters(in: .whitespaces).lowercased() }
    static func addressKey(_ ip: String) -> String { "address|" + ip }

    /// Seconds to wait before another attempt (rounded up, at least 1), or nil when the attempt may go ahead.
    public func retryAfter(email: String, ip: String?, now: Date) -> Int? {
        var wait: TimeInterval = 0
        for key in keys(email: email, ip: ip) {
            if let until = records[key]?.lockedUntil, until > now { wait = max(wait, until.timeIntervalSince(now)) }
        }
        guard wait > 0 else { return nil }
        return max(1, Int(exactly: wait.rounded(.up)) ?? 1)
    }

    /// Counts a failed attempt; returns the lock it starts, in seconds (nil when still free).
    @discardableResult
    public func failed(email: String, ip: String?, now: Date) -> Int? {
        prune(now)
        var longest: TimeInterval = 0
        for key in keys(email: email, ip: ip) {
            let policy = key.hasPrefix("account|") ? accountPolicy : addressPolicy
            var r = records[key] ?? Record(failures: 0, last: now)
            if now.timeIntervalSince(r.last) > policy.forgetAfter { r = Record(failures: 0, last: now) }
            r.failures += 1
            r.last = now
            let over = r.failures - policy.freeFailures
            if over > 0 {
                let delay = min(policy.maxDelay, policy.baseDelay * pow(2, Double(min(over - 1, 30))))
                r.lockedUntil = now.addingTimeInterval(delay)
                longest = max(longest, delay)
            }
            records[key] = r
        }
        return longest > 0 ? max(1, Int(exactly: longest.rounded(.up)) ?? 1) : nil
    }

    /// A successful login clears the account's failures (the address keeps its count: one right password does
    /// not excuse a flood against other accounts).
    public func succeeded(email: String) {
        records[Self.accountKey(email)] = nil
    }

    func keys(email: String, ip: String?) -> [String] {
        [Self.accountKey(email)] + (ip.map { [Self.addressKey($0)] } ?? [])
    }

    private func prune(_ now: Date) {
        guard records.count >= capacity else { return }
        let horizon = max(accountPolicy.forgetAfter, addressPolicy.forgetAfter)
        records = records.filter { now.timeIntervalSince($0.value.last) <= horizon }
        if records.count >= capacity {
            // Still full of live records: keep the most recent half.
            let kept = records.sorted { $0.value.last > $1.value.last }.prefix(capacity / 2)
            records = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        }
    }
}

/// bcrypt on threads of its own (not the event loops, not the database's thread pool), with a bounded queue: a
/// login flood waits here or is turned away (429) and never slows `/api/ai` or the tool calls.
public final class PasswordHasher: Sendable {
    let pool: NIOThreadPool
    let admitted: NIOLockedValueBox<Int>
    /// Most verifications running or waiting at once.
    public let queueLimit: Int

    public init(threads: Int = 1, queueLimit: Int = 16) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        admitted = NIOLockedValueBox(0)
        self.queueLimit = queueLimit
    }

    /// The shared hasher of the process (one thread: on a 2-core machine a flood takes at most one core).
    public static let shared = PasswordHasher()

    /// Verifies `password` against a bcrypt `hash`; nil when the queue is full (the caller answers 429).
    public func verify(_ password: String, hash: String) async throws -> Bool? {
        try await whenAdmitted { Bcrypt.verify(password, hash: hash) }
    }

    /// Runs `work` on the hashing thread if the queue has room; nil when it is full.
    private func whenAdmitted<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T? {
        let ok = admitted.withLockedValue { n -> Bool in
            guard n < queueLimit else { return false }
            n += 1
            return true
        }
        guard ok else { return nil }
        defer { admitted.withLockedValue { $0 -= 1 } }
        return try await pool.runIfActive(work)
    }

    /// A bcrypt hash of a new password (cost 12; tests pass less), on the hashing thread; nil when the queue is full.
    public func hash(_ password: String, cost: UInt8 = 12) async throws -> String? {
        try await whenAdmitted { Bcrypt.hash(password, cost: cost) }
    }
}
