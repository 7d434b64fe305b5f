import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import ArgumentParser
import Foundation
import Logging

/// `alloresto provision`: in sip-agent-server, the account, each restaurant's final customer (subscribed to the
/// account's first base plan), agent, phone line and 12 ToolConfigs — the original AlloResto's sequence (SPEC §7).
struct Provision: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or update in sip-agent-server the AlloResto account and, per restaurant, its final customer, agent, phone line and 12 tools (idempotent).")

    @Option(help: "Only this restaurant (id).") var restaurant: String?
    @Flag(help: "Print what would be sent; send nothing, write nothing.") var dryRun = false
    @Flag(help: "Push the prompt and the 12 tools again to every agent (one PUT /api/agents/:id/brain each), as after a deployment that changed them.")
    var pushBrain = false

    func run() async throws {
        let config = try loadConfiguration(devMode: false)
        let database = try await openDatabase(config)
        defer { Task { await database.close() } }
        var only: UUID?
        if let restaurant {
            guard let id = UUID(uuidString: restaurant) else { throw fail("--restaurant: expected a restaurant id (UUID), got \"\(restaurant)\"") }
            only = id
        }
        var logger = Logger(label: "alloresto.provision")
        logger.logLevel = .critical  // the progress lines say it; no duplicate log lines
        let provisioner = Provisioner(
            database: database, cipher: LineSecretCipher(master: try config.masterKey()), publicURL: config.publicURL,
            api: SipAgentServerClient(baseURL: config.sipAgentServerURL, apiKey: config.sipAgentServerAPIKey), logger: logger)
        say("sip-agent-server: \(config.sipAgentServerURL)   AlloResto public URL: \(config.publicURL)\(dryRun ? "   (dry run)" : "")")
        let dry = dryRun
        let outcomes = try await provisioner.provisionAll(only: only, dryRun: dryRun, pushBrain: pushBrain) { r, outcome in
            say("\(r.name) (\(r.id!.uuidString.lowercased())): \(outcome.line)")
            if dry, case .planned(let agent, let brain) = outcome {
                say("  agent → POST /api/agents (PUT /api/agents/:id with what differs): " + String(decoding: JSONWriter.encoded(agent), as: UTF8.self))
                say("  tools → POST /api/agents/:id/tools ×\(brain["tools"]?.arrayValue?.count ?? 0) (PUT /api/agents/:id/brain afterwards): "
                    + String(decoding: JSONWriter.encoded(brain), as: UTF8.self))
            }
        }
        if outcomes.isEmpty { say(only == nil ? "No restaurant to provision." : "No such restaurant.") }
        await database.close()
        if outcomes.contains(where: \.failed) { throw ExitCode(1) }
    }
}
