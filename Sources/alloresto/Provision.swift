import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import ArgumentParser
import Foundation
import Logging

/// `alloresto provision`: the Account, one Agent per restaurant and its 12 ToolConfigs in sip-agent-server.
struct Provision: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or update in sip-agent-server the AlloResto account, each restaurant's agent and its 12 tools (idempotent).")

    @Option(help: "Only this restaurant (id).") var restaurant: String?
    @Flag(help: "Print what would be sent; send nothing, write nothing.") var dryRun = false

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
        let outcomes = try await provisioner.provisionAll(only: only, dryRun: dryRun) { r, outcome in
            say("\(r.name) (\(r.id!.uuidString.lowercased())): \(outcome.line)")
            if dry, case .planned(let agent, let tools) = outcome {
                say("  agent → POST/PUT /api/agents: " + String(decoding: JSONWriter.encoded(agent), as: UTF8.self))
                say("  tools → PUT /api/agents/:id/tools (\(tools.arrayValue?.count ?? 0)): " + String(decoding: JSONWriter.encoded(tools), as: UTF8.self))
            }
        }
        if outcomes.isEmpty { say(only == nil ? "No restaurant to provision." : "No such restaurant.") }
        await database.close()
        if outcomes.contains(where: { if case .failed = $0 { true } else { false } }) { throw ExitCode(1) }
    }
}
