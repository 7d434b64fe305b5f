import AlloRestoCore
import AlloRestoStore
import Crypto
import Foundation
import Logging

/// Creates or updates, in sip-agent-server, what a restaurant's phone agent needs, in the original AlloResto's
/// sequence and payloads (SPEC §7; `sip-agent-provisioning.service.ts`, branch `v2`): the "AlloResto" account, a
/// final customer per restaurant subscribed to the account's first active base plan, the agent, its phone line,
/// its 12 ToolConfigs (`POST /api/agents/:id/tools` at creation, `PUT /api/agents/:id/brain` afterwards).
///
/// Better than the original: idempotent (a run whose digests match sends nothing, `verify` re-reads the agent and
/// its lines and sends only what differs), a failure never touches the restaurant (the next run catches up from
/// what was kept after each step), dry run, tokens never in clear, and one replica at a time per restaurant
/// (a database `Lease`), so two `serve` replicas never create an agent twice.
public struct Provisioner: Sendable {
    public static let accountName = "AlloResto"
    public static let accountEmail = "admin@alloresto.local"
    /// What the original gives every agent (operators tune these in sip-agent-server; updates leave them alone).
    static let aiModel = "gpt-realtime"
    static let maxCallDurationSec = 600
    /// The agent fields a restaurant change updates (`PUT /api/agents/:id` sends those that differ).
    static let managedAgentFields = ["name", "aiVoice", "timezone", "isActive", "maxCallDurationSec", "apiBaseUrl",
                                     "externalSessionUrl", "onCallEndWebhook", "config"]
    /// The phone line fields compared with what sip-agent-server shows (the password is never shown back).
    static let visibleLineFields = ["phoneNumber", "provider", "sipTransport", "stunServer", "sipDomain", "sipUsername", "isActive"]
    /// How long one replica may hold a restaurant's provisioning.
    static let leaseDuration: TimeInterval = 300

    public let database: AlloRestoDatabase
    public let cipher: LineSecretCipher
    public let publicURL: String
    public let api: SipAgentServerClient
    public let logger: Logger
    /// This process, as the owner of provisioning leases.
    let owner: String
    let now: @Sendable () -> Date

    public init(database: AlloRestoDatabase, cipher: LineSecretCipher, publicURL: String, api: SipAgentServerClient, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.cipher = cipher
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.api = api
        self.logger = logger
        self.now = now
        owner = UUID().uuidString.lowercased()
    }

    /// What a run did for one restaurant.
    public enum Outcome: Sendable, Equatable {
        case created(agentId: String, tools: Int)
        /// `changed`: what was sent, e.g. `["agent: aiVoice", "phone line", "brain"]`.
        case updated(agentId: String, changed: [String])
        case unchanged(agentId: String)
        /// Dry run: the agent and the brain that would be sent (tokens masked).
        case planned(agent: JSONValue, brain: JSONValue)
        /// Another replica is provisioning this restaurant right now; it will leave it up to date.
        case busy
        case failed(String)

        public var line: String {
            switch self {
            case .created(let id, let n): "created agent \(id) with \(n) tools"
            case .updated(let id, let changed): "updated agent \(id) (\(changed.joined(separator: ", ")))"
            case .unchanged(let id): "up to date (agent \(id))"
            case .planned: "dry run: nothing sent"
            case .busy: "another AlloResto replica is provisioning it right now"
            case .failed(let why): "FAILED: \(why) (what was done is kept; the next run catches up)"
            }
        }

        public var failed: Bool { if case .failed = self { true } else { false } }
    }

    // MARK: desired state

    /// Everything sent for one restaurant, computed from the database alone.
    struct Desired {
        /// `POST /api/agents` without `accountId` / `finalCustomerId`.
        var agent: [String: JSONValue]
        var brain: JSONValue
        /// The phone line with its password; nil when the restaurant has no phone number.
        var line: [String: JSONValue]?
        var agentDigest: String
        var brainDigest: String
        var lineDigest: String?
    }

    /// Whether what was last sent (the link's digests) is what would be sent now.
    static func upToDate(_ link: SipAgentLink, _ want: Desired) -> Bool {
        link.agentDigest == want.agentDigest && link.brainDigest == want.brainDigest && link.lineDigest == want.lineDigest
    }

    static func digest(_ v: JSONValue) -> String {
        Hex.lowercase(SHA256.hash(data: Data(JSONWriter.encoded(v))))
    }

    func desired(_ r: Restaurant, token: String) async throws -> Desired {
        let id = r.id!.uuidString.lowercased()
        let agent: [String: JSONValue] = [
            "name": .string(r.name),
            "basePrompt": .string(AgentToolConfigs.prompt),
            "aiModel": .string(Self.aiModel), "aiVoice": .string(r.aiVoice),
            "vadThreshold": 0.5, "vadSilenceMs": 500, "vadPrefixPaddingMs": 300, "temperature": 0.7,
            "transportType": "sip_bridge",
            "timezone": .string(r.timezone),
            "apiBaseUrl": .string(publicURL),
            "maxCallDurationSec": .int(Self.maxCallDurationSec),
            // Our tool APIs are authenticated: the agent token rides in the two URLs sip-agent-server calls bare.
            "onCallEndWebhook": .string("={{BASE_URL}}/api/calls?token=\(token)"),
            "externalSessionUrl": .string("=\(publicURL)/api/ai?restaurantId={{config.restaurantId}}&callerPhone={{callerPhone}}&token=\(token)"),
            "chatEnabled": false, "chatMode": "text", "chatTitle": .string(r.name), "chatOpenOnLoad": false,
            "config": [
                "restaurantId": .string(id), "deliveryEnabled": .bool(r.deliveryEnabled), "reservationEnabled": .bool(r.reservationEnabled),
                "orderStatusEnabled": .bool(r.orderStatusEnabled),
                "transferEnabled": .bool(r.transferEnabled && !(r.transferPhoneNumber ?? "").isEmpty && !r.transferAutomatic),
            ],
            "isActive": .bool(r.isActive),
        ]
        let brain = AgentToolConfigs.brain(token: token)
        var line: [String: JSONValue]?
        var lineDigest: String?
        if let phone = r.phone.flatMap({ PhoneNumber.normalize($0, defaultCountry: r.country) }) {
            let sip = try await ProvisioningBook.newestLine(restaurantId: r.id!, on: database.db)
            var l: [String: JSONValue] = [
                "phoneNumber": .string(phone), "provider": sip == nil ? "twilio" : "sip",
                "sipTransport": .null, "stunServer": .null,
                "sipDomain": sip.map { .string($0.sipDomain) } ?? .null, "sipUsername": sip.map { .string($0.sipUsername) } ?? .null,
                "isActive": .bool(sip?.isActive ?? true),
            ]
            // The digest covers the sealed password (it changes when the password is saved again), never the clear one.
            var digestible = l
            digestible["sealedPassword"] = sip.map { .string($0.sipPassword) } ?? .null
            lineDigest = Self.digest(.object(digestible))
            if let sip { l["sipPassword"] = .string(try cipher.decrypt(sip.sipPassword, lineId: sip.id!.uuidString.lowercased())) }
            line = l
        }
        let managed = JSONValue.object(agent.filter { Self.managedAgentFields.contains($0.key) })
        return Desired(agent: agent, brain: brain, line: line, agentDigest: Self.digest(managed), brainDigest: Self.digest(brain), lineDigest: lineDigest)
    }

    /// Whether `existing` already has every field of `desired` with the same value (extra fields are ignored).
    /// Numbers compare by value (`0` and `0.0` are the same once through JSON).
    static func covers(_ existing: JSONValue?, _ desired: JSONValue) -> Bool {
        switch (existing, desired) {
        case (nil, _): return desired == .null
        case (.object(let have)?, .object(let want)):
            return want.allSatisfy { k, v in covers(have[k], v) }
        case (.array(let have)?, .array(let want)):
            return have.count == want.count && zip(have, want).allSatisfy { covers($0, $1) }
        case (.int(let a)?, .double(let b)), (.double(let b)?, .int(let a)):
            return Double(a) == b
        default:
            return existing == desired
        }
    }

    static func masked(_ v: JSONValue, _ secrets: [String]) -> JSONValue {
        var text = String(decoding: JSONWriter.encoded(v), as: UTF8.self)
        for s in secrets where !s.isEmpty { text = text.replacingOccurrences(of: s, with: "<secret>") }
        return (try? JSONReader.parse(Array(text.utf8))) ?? .null
    }

    // MARK: steps

    /// The "AlloResto" account's id, created when missing (one replica creates it; the others wait for it).
    public func ensureAccount() async throws -> String {
        func find() async throws -> String? {
            let accounts = SipAgentServerClient.list(try await api.send(.GET, "/api/accounts"))
            return accounts.first(where: { $0["name"]?.stringValue == Self.accountName }).flatMap { SipAgentServerClient.id($0["id"]) }
        }
        func findOrCreate() async throws -> String {
            if let id = try await find() { return id }
            let created = SipAgentServerClient.object(try await api.send(.POST, "/api/accounts", body: [
                "name": .string(Self.accountName), "email": .string(Self.accountEmail), "isActive": true,
            ]))
            guard let id = SipAgentServerClient.id(created["id"]) else { throw SipAgentServerError(description: "POST /api/accounts: no id in the answer") }
            logger.info("sip-agent-server account created", metadata: ["account": "\(id)"])
            return id
        }
        if let id = try await find() { return id }
        let lease = "sip-agent-server:account"
        for _ in 0..<30 {
            if try await Leases.acquire(lease, owner: owner, for: 60, now: now(), on: database.db) {
                do {
                    let id = try await findOrCreate()
                    try? await Leases.release(lease, owner: owner, on: database.db)
                    return id
                } catch {
                    try? await Leases.release(lease, owner: owner, on: database.db)
                    throw error
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            if let id = try await find() { return id }
        }
        throw SipAgentServerError(description: "the AlloResto account is being created by another replica and did not appear")
    }

    /// The final customer of a restaurant, subscribed to the account's first active base plan (none: skipped).
    func createFinalCustomer(_ r: Restaurant, accountId: String) async throws -> String {
        let fc = SipAgentServerClient.object(try await api.send(.POST, "/api/final-customers", body: [
            "accountId": .string(accountId), "name": .string(r.name),
            "email": r.email.map(JSONValue.string) ?? .null, "phone": r.phone.map(JSONValue.string) ?? .null,
            "currency": .string(r.currency), "costMarginPct": .double(r.aiCostMarginPct ?? 30), "isActive": true,
        ]))
        guard let id = SipAgentServerClient.id(fc["id"]) else { throw SipAgentServerError(description: "POST /api/final-customers: no id in the answer") }
        let plans = SipAgentServerClient.list(try await api.send(.GET, "/api/plans?accountId=\(accountId)"))
        if let plan = plans.first(where: { $0["isOption"] != .bool(true) && $0["isActive"] == .bool(true) }), let planId = SipAgentServerClient.id(plan["id"]) {
            try await api.send(.POST, "/api/final-customers/\(id)/subscriptions", body: ["planId": .string(planId)])
        } else {
            logger.info("no active base plan in the account: the final customer is not subscribed", metadata: ["restaurant": "\(r.id!)"])
        }
        return id
    }

    /// Creates or updates the agent's line for the restaurant's number; true when something was sent.
    func upsertLine(agentId: String, _ line: [String: JSONValue], link: SipAgentLink, lineDigest: String?) async throws -> Bool {
        let lines = SipAgentServerClient.list(try await api.send(.GET, "/api/agents/\(agentId)/phone-lines"))
        let visible = JSONValue.object(line.filter { Self.visibleLineFields.contains($0.key) })
        if let existing = lines.first(where: { $0["phoneNumber"] == line["phoneNumber"] }), let lineId = SipAgentServerClient.id(existing["id"]) {
            link.phoneLineId = lineId
            if Self.covers(existing, visible) && link.lineDigest == lineDigest { return false }
            var body = line
            body.removeValue(forKey: "phoneNumber")
            try await api.send(.PUT, "/api/agents/\(agentId)/phone-lines/\(lineId)", body: .object(body))
            return true
        }
        let created = SipAgentServerClient.object(try await api.send(.POST, "/api/agents/\(agentId)/phone-lines", body: .object(line)))
        link.phoneLineId = SipAgentServerClient.id(created["id"])
        return true
    }

    func seal(_ secret: JSONValue?, _ label: String) throws -> String? {
        guard let s = secret?.stringValue, !s.isEmpty else { return nil }
        return try cipher.encrypt(s, lineId: label)
    }

    /// The agent's own `apiToken` (sip-agent-server's), unsealed; nil when none was kept.
    public func agentAPIToken(for restaurantId: UUID) async throws -> String? {
        let link = try await SipAgentLink.of(restaurantId, on: database.db)
        return try link.agentApiToken.map { try cipher.decrypt($0, lineId: "sas-agent-api-token:\(restaurantId.uuidString.lowercased())") }
    }

    // MARK: one restaurant

    /// Provisions one restaurant. `verify` re-reads the agent and its lines even when the digests say nothing
    /// changed (the CLI); `pushBrain` sends the brain whatever its digest.
    public func provision(_ restaurantId: UUID, accountId knownAccount: String? = nil, dryRun: Bool = false, verify: Bool = true, pushBrain: Bool = false) async -> Outcome {
        let lease = "sip-agent-server:restaurant:\(restaurantId.uuidString.lowercased())"
        do {
            guard let r = try await Reports.restaurant(restaurantId, on: database.db) else { return .failed("restaurant \(restaurantId) not found") }
            if dryRun {
                let sealed = try await AgentTokens.sealedProvisioningToken(for: restaurantId, cipher: cipher, on: database.db)
                let want = try await desired(r, token: sealed ?? "<secret>")
                let secrets = [sealed ?? "", want.line?["sipPassword"]?.stringValue ?? ""]
                return .planned(agent: Self.masked(.object(want.agent), secrets), brain: Self.masked(want.brain, secrets))
            }
            // In the background, a restaurant whose digests match costs reads only: no lease, no request.
            if !verify, !pushBrain, let sealed = try await AgentTokens.sealedProvisioningToken(for: restaurantId, cipher: cipher, on: database.db) {
                let link = try await SipAgentLink.of(restaurantId, on: database.db)
                if let agentId = link.agentId, Self.upToDate(link, try await desired(r, token: sealed)), r.agentId == agentId { return .unchanged(agentId: agentId) }
            }
            guard try await Leases.acquire(lease, owner: owner, for: Self.leaseDuration, now: now(), on: database.db) else { return .busy }
            let outcome = await provisionHoldingLease(r, accountId: knownAccount, verify: verify, pushBrain: pushBrain)
            try? await Leases.release(lease, owner: owner, on: database.db)
            return outcome
        } catch {
            logger.error("provisioning failed", metadata: ["restaurant": "\(restaurantId)", "error": "\(error)"])
            return .failed("\(error)")
        }
    }

    func provisionHoldingLease(_ r: Restaurant, accountId knownAccount: String?, verify: Bool, pushBrain: Bool) async -> Outcome {
        let restaurantId = r.id!
        do {
            let token = try await AgentTokens.provisioningToken(for: restaurantId, cipher: cipher, on: database.db)
            let want = try await desired(r, token: token)
            let link = try await SipAgentLink.of(restaurantId, on: database.db)
            let id = restaurantId.uuidString.lowercased()
            if !verify, !pushBrain, let agentId = link.agentId, Self.upToDate(link, want), r.agentId == agentId { return .unchanged(agentId: agentId) }
            let accountId: String
            if let knownAccount { accountId = knownAccount } else { accountId = try await ensureAccount() }
            link.accountId = accountId

            // The existing agent: by the id kept, else by restaurant in its config (an id lost in a restore).
            var current: JSONValue?
            if let agentId = link.agentId ?? r.agentId {
                do { current = SipAgentServerClient.object(try await api.send(.GET, "/api/agents/\(agentId)")) } catch let e as SipAgentServerError where e.status == 404 {
                    current = nil
                }
            }
            if current == nil {
                let all = SipAgentServerClient.list(try await api.send(.GET, "/api/agents?accountId=\(accountId)"))
                current = all.first { $0["config"]?["restaurantId"]?.stringValue == id }
            }

            guard let current, let agentId = SipAgentServerClient.id(current["id"]) else {
                // Creation, each step kept as soon as it is done so that a failure resumes where it stopped.
                if link.finalCustomerId == nil {
                    link.finalCustomerId = try await createFinalCustomer(r, accountId: accountId)
                    try await ProvisioningBook.save(link, on: database.db)
                }
                var body = want.agent
                body["accountId"] = .string(accountId)
                body["finalCustomerId"] = .string(link.finalCustomerId!)
                let created = SipAgentServerClient.object(try await api.send(.POST, "/api/agents", body: .object(body)))
                guard let agentId = SipAgentServerClient.id(created["id"]) else { throw SipAgentServerError(description: "POST /api/agents: no id in the answer") }
                link.agentId = agentId
                link.agentApiToken = try seal(created["apiToken"], "sas-agent-api-token:\(id)")
                link.agentPublicToken = try seal(created["publicToken"], "sas-agent-public-token:\(id)")
                link.agentDigest = want.agentDigest
                link.brainDigest = nil
                try await ProvisioningBook.save(link, on: database.db)
                try await store(agentId, for: r)
                if let line = want.line {
                    _ = try await upsertLine(agentId: agentId, line, link: link, lineDigest: want.lineDigest)
                }
                link.lineDigest = want.lineDigest
                try await ProvisioningBook.save(link, on: database.db)
                let tools = AgentToolConfigs.definitions(token: token)
                for tool in tools { try await api.send(.POST, "/api/agents/\(agentId)/tools", body: tool.json) }
                link.brainDigest = want.brainDigest
                try await ProvisioningBook.save(link, on: database.db)
                return .created(agentId: agentId, tools: tools.count)
            }

            var changed: [String] = []
            link.agentId = agentId
            if link.finalCustomerId == nil { link.finalCustomerId = current["finalCustomerId"]?.stringValue }
            if link.agentApiToken == nil { link.agentApiToken = try seal(current["apiToken"], "sas-agent-api-token:\(id)") }
            if link.agentPublicToken == nil { link.agentPublicToken = try seal(current["publicToken"], "sas-agent-public-token:\(id)") }
            var update: [String: JSONValue] = [:]
            for key in Self.managedAgentFields where !Self.covers(current[key], want.agent[key]!) { update[key] = want.agent[key]! }
            if !update.isEmpty {
                try await api.send(.PUT, "/api/agents/\(agentId)", body: .object(update))
                changed.append("agent: " + update.keys.sorted().joined(separator: ", "))
            }
            link.agentDigest = want.agentDigest
            if let line = want.line, try await upsertLine(agentId: agentId, line, link: link, lineDigest: want.lineDigest) {
                changed.append("phone line")
            }
            link.lineDigest = want.lineDigest
            if pushBrain || link.brainDigest != want.brainDigest {
                try await api.send(.PUT, "/api/agents/\(agentId)/brain", body: want.brain)
                changed.append("brain")
            }
            link.brainDigest = want.brainDigest
            try await ProvisioningBook.save(link, on: database.db)
            if r.agentId != agentId { try await store(agentId, for: r) }
            return changed.isEmpty ? .unchanged(agentId: agentId) : .updated(agentId: agentId, changed: changed)
        } catch {
            logger.error("provisioning failed", metadata: ["restaurant": "\(restaurantId)", "error": "\(error)"])
            return .failed("\(error)")
        }
    }

    func store(_ agentId: String, for r: Restaurant) async throws {
        try await ProvisioningBook.setAgentId(agentId, restaurantId: r.id!, on: database.db)
        r.agentId = agentId
    }

    /// Every restaurant (or one), in name order; `progress` gets one line per restaurant. A restaurant another
    /// replica is provisioning is waited for (up to a minute) and then checked.
    public func provisionAll(only: UUID? = nil, dryRun: Bool = false, pushBrain: Bool = false,
                             progress: @Sendable (Restaurant, Outcome) -> Void) async throws -> [Outcome] {
        let restaurants = try await ProvisioningBook.restaurants(only: only, on: database.db)
        var account: String?
        if !dryRun {
            do { account = try await ensureAccount() } catch {
                let outcome = Outcome.failed("\(error)")
                for r in restaurants { progress(r, outcome) }
                return restaurants.map { _ in outcome }
            }
        }
        var outcomes: [Outcome] = []
        for r in restaurants {
            var o = await provision(r.id!, accountId: account, dryRun: dryRun, pushBrain: pushBrain)
            for _ in 0..<60 where o == .busy {
                try await Task.sleep(for: .seconds(1))
                o = await provision(r.id!, accountId: account, dryRun: dryRun, pushBrain: pushBrain)
            }
            progress(r, o)
            outcomes.append(o)
        }
        return outcomes
    }
}

/// Background provisioning after a restaurant write: never blocks nor fails the write; a failure is logged and
/// left to the next `provision` run (or the catch-up at start). What needs sending is read from the database
/// (digests), so a change made through any replica is provisioned once, by whichever replica holds the lease.
public actor ProvisioningQueue {
    let provisioner: Provisioner
    private var running: [UUID: Task<Provisioner.Outcome, Never>] = [:]
    private var again: Set<UUID> = []

    public init(provisioner: Provisioner) { self.provisioner = provisioner }

    @discardableResult
    public func schedule(_ restaurantId: UUID) -> Task<Provisioner.Outcome, Never> {
        if let t = running[restaurantId] {
            again.insert(restaurantId)  // a change during a run: one more run after it
            return t
        }
        let p = provisioner
        let task = Task {
            var outcome = await p.provision(restaurantId, verify: false)
            // Another replica holds the lease: wait for it, then check that it left everything up to date.
            var wait = 1
            while outcome == .busy, wait <= 64 {
                try? await Task.sleep(for: .seconds(wait))
                wait *= 2
                outcome = await p.provision(restaurantId, verify: false)
            }
            return outcome
        }
        running[restaurantId] = task
        Task { _ = await task.value; self.finished(restaurantId) }
        return task
    }

    private func finished(_ id: UUID) {
        running[id] = nil
        if again.remove(id) != nil { schedule(id) }
    }

    /// Every restaurant whose agent is missing or differs from what was last sent (checked against the database).
    public func catchUp() async throws {
        let all = try await ProvisioningBook.restaurants(on: provisioner.database.db)
        for r in all { schedule(r.id!) }
    }
}
