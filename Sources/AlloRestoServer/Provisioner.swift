import AlloRestoCore
import AlloRestoStore
import FluentKit
import Foundation
import Logging

/// Creates or updates, in sip-agent-server, the AlloResto account, one Agent per restaurant and its 12
/// ToolConfigs (SPEC §7). Idempotent: what is already right is left alone, tools are replaced as a set (never
/// duplicated). A failure never touches the restaurant; `agentId` stays as it was and the next run catches up.
public struct Provisioner: Sendable {
    public static let accountName = "AlloResto"

    public let database: AlloRestoDatabase
    public let cipher: LineSecretCipher
    public let publicURL: String
    public let api: SipAgentServerClient
    public let logger: Logger

    public init(database: AlloRestoDatabase, cipher: LineSecretCipher, publicURL: String, api: SipAgentServerClient, logger: Logger) {
        self.database = database
        self.cipher = cipher
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.api = api
        self.logger = logger
    }

    public enum Outcome: Sendable, Equatable {
        case created(agentId: String, tools: Int)
        case updated(agentId: String, agentChanged: Bool, toolsChanged: Bool)
        case unchanged(agentId: String)
        case planned(agent: JSONValue, tools: JSONValue)
        case failed(String)

        public var line: String {
            switch self {
            case .created(let id, let n): "created agent \(id) with \(n) tools"
            case .updated(let id, let a, let t): "updated agent \(id) (" + [a ? "agent" : nil, t ? "tools" : nil].compactMap { $0 }.joined(separator: " + ") + ")"
            case .unchanged(let id): "up to date (agent \(id))"
            case .planned: "dry run: nothing sent"
            case .failed(let why): "FAILED: \(why) (agentId unchanged; the next run catches up)"
            }
        }
    }

    /// The agent sip-agent-server should have for a restaurant.
    public func desiredAgent(_ r: Restaurant, accountId: String?, token: String) -> JSONValue {
        let id = r.id!.uuidString.lowercased()
        var agent: [String: JSONValue] = [
            "name": .string("AlloResto — \(r.name)"),
            "externalSessionUrl": .string("\(publicURL)/api/ai?restaurantId=\(id)&callerPhone={{callerPhone}}&token=\(token)"),
            "voice": .string(r.aiVoice), "timezone": .string(r.timezone), "language": .string(r.defaultLocale),
            "isActive": .bool(r.isActive),
            "webhookUrl": .string("\(publicURL)/api/calls"),
            "webhookHeaders": ["Authorization": .string("Bearer \(token)")],
            "config": [
                "restaurantId": .string(id), "deliveryEnabled": .bool(r.deliveryEnabled), "reservationEnabled": .bool(r.reservationEnabled),
                "orderStatusEnabled": .bool(r.orderStatusEnabled), "transferEnabled": .bool(r.transferEnabled && !(r.transferPhoneNumber ?? "").isEmpty && !r.transferAutomatic),
            ],
        ]
        if let accountId { agent["accountId"] = .string(accountId) }
        return .object(agent)
    }

    public func desiredTools(token: String) -> [JSONValue] { AgentToolConfigs.definitions(token: token).map(\.json) }

    /// The "AlloResto" account's id, created when missing.
    public func ensureAccount() async throws -> String {
        let accounts = SipAgentServerClient.list(try await api.send(.GET, "/api/accounts"))
        if let found = accounts.first(where: { $0["name"]?.stringValue == Self.accountName }), let id = SipAgentServerClient.id(found["id"]) { return id }
        let created = SipAgentServerClient.object(try await api.send(.POST, "/api/accounts", body: ["name": .string(Self.accountName)]))
        guard let id = SipAgentServerClient.id(created["id"]) else { throw SipAgentServerError(description: "POST /api/accounts: no id in the answer") }
        return id
    }

    /// Whether `existing` already has every field of `desired` with the same value (extra fields are ignored).
    /// Numbers compare by value (`0` and `0.0` are the same once through JSON).
    static func covers(_ existing: JSONValue, _ desired: JSONValue) -> Bool {
        switch (existing, desired) {
        case (.object(let have), .object(let want)):
            return want.allSatisfy { k, v in have[k].map { covers($0, v) } ?? (v == .null) }
        case (.array(let have), .array(let want)):
            return have.count == want.count && zip(have, want).allSatisfy { covers($0, $1) }
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)):
            return Double(a) == b
        default:
            return existing == desired
        }
    }

    /// Provisions one restaurant. `accountId` is looked up when not given.
    public func provision(_ restaurantId: UUID, accountId knownAccount: String? = nil, dryRun: Bool = false) async -> Outcome {
        do {
            guard let r = try await Restaurant.find(restaurantId, on: database.db) else { return .failed("restaurant \(restaurantId) not found") }
            if dryRun {
                // Printed on a terminal: the token itself is never shown.
                let sealed = try await AgentTokens.sealedProvisioningToken(for: restaurantId, cipher: cipher, on: database.db)
                let token = sealed == nil ? "<new agent token>" : "<agent token>"
                return .planned(agent: desiredAgent(r, accountId: knownAccount, token: token), tools: .array(desiredTools(token: token)))
            }
            var accountId = knownAccount
            if accountId == nil { accountId = try await ensureAccount() }
            let token = try await AgentTokens.provisioningToken(for: restaurantId, cipher: cipher, on: database.db)
            let agent = desiredAgent(r, accountId: accountId, token: token)
            let tools = desiredTools(token: token)

            // The existing agent: by stored id, else by restaurant in the config (an agentId lost in a restore).
            var existing: JSONValue?
            if let id = r.agentId {
                existing = try? SipAgentServerClient.object(await api.send(.GET, "/api/agents/\(id)"))
            }
            if existing == nil {
                let all = SipAgentServerClient.list(try await api.send(.GET, "/api/agents"))
                existing = all.first { $0["config"]?["restaurantId"]?.stringValue == restaurantId.uuidString.lowercased() }
            }
            guard let current = existing, let agentId = SipAgentServerClient.id(current["id"]) else {
                let created = SipAgentServerClient.object(try await api.send(.POST, "/api/agents", body: agent))
                guard let agentId = SipAgentServerClient.id(created["id"]) else { throw SipAgentServerError(description: "POST /api/agents: no id in the answer") }
                try await api.send(.PUT, "/api/agents/\(agentId)/tools", body: .array(tools))
                try await store(agentId, for: r)
                return .created(agentId: agentId, tools: tools.count)
            }
            let agentChanged = !Self.covers(current, agent)
            if agentChanged { try await api.send(.PUT, "/api/agents/\(agentId)", body: agent) }
            let currentTools = SipAgentServerClient.list(try await api.send(.GET, "/api/agents/\(agentId)/tools"))
            let byName = Dictionary(currentTools.compactMap { t in t["name"]?.stringValue.map { ($0, t) } }, uniquingKeysWith: { a, _ in a })
            let toolsChanged = currentTools.count != tools.count || tools.contains { t in
                guard let name = t["name"]?.stringValue, let have = byName[name] else { return true }
                return !Self.covers(have, t)
            }
            if toolsChanged { try await api.send(.PUT, "/api/agents/\(agentId)/tools", body: .array(tools)) }
            if r.agentId != agentId { try await store(agentId, for: r) }
            return agentChanged || toolsChanged ? .updated(agentId: agentId, agentChanged: agentChanged, toolsChanged: toolsChanged) : .unchanged(agentId: agentId)
        } catch {
            logger.error("provisioning failed", metadata: ["restaurant": "\(restaurantId)", "error": "\(error)"])
            return .failed("\(error)")
        }
    }

    func store(_ agentId: String, for r: Restaurant) async throws {
        r.agentId = agentId
        try await r.save(on: database.db)
    }

    /// Every restaurant (or one), in name order; `progress` gets one line per restaurant.
    public func provisionAll(only: UUID? = nil, dryRun: Bool = false, progress: @Sendable (Restaurant, Outcome) -> Void) async throws -> [Outcome] {
        var query = Restaurant.query(on: database.db).sort(\.$name)
        if let only { query = query.filter(\.$id == only) }
        let restaurants = try await query.all()
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
            let o = await provision(r.id!, accountId: account, dryRun: dryRun)
            progress(r, o)
            outcomes.append(o)
        }
        return outcomes
    }
}

/// Background provisioning after a restaurant write: never blocks nor fails the write; a failure is logged and
/// left to the next `provision` run (or the catch-up at start).
public actor ProvisioningQueue {
    let provisioner: Provisioner
    private var running: [UUID: Task<Provisioner.Outcome, Never>] = [:]

    public init(provisioner: Provisioner) { self.provisioner = provisioner }

    @discardableResult
    public func schedule(_ restaurantId: UUID) -> Task<Provisioner.Outcome, Never> {
        if let t = running[restaurantId] { return t }
        let p = provisioner
        let task = Task { await p.provision(restaurantId) }
        running[restaurantId] = task
        Task { _ = await task.value; self.finished(restaurantId) }
        return task
    }

    private func finished(_ id: UUID) { running[id] = nil }

    /// Restaurants without an agent yet (created while sip-agent-server was down).
    public func catchUp() async throws {
        let missing: [Restaurant] = try await Restaurant.query(on: provisioner.database.db).filter(\.$agentId == nil).all()
        for r in missing { schedule(r.id!) }
    }
}
