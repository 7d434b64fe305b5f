import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import ArgumentParser
import Foundation
import Logging

@main
struct Alloresto: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alloresto",
        abstract: "AlloResto: restaurant data and rules for the AI phone agent (sip-agent-server).",
        subcommands: [Serve.self, Demo.self, Import.self, Provision.self, SipBridgeCommand.self, Admin.self, Token.self, LoadTest.self])
}

/// Prints a start-up problem in one line and exits non-zero.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("alloresto: \(message)\n".utf8))
    return ExitCode(2)
}

func loadConfiguration(devMode: Bool) throws -> ServerConfiguration {
    do {
        let config = try ServerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment, devMode: devMode)
        for notice in config.notices {
            FileHandle.standardError.write(Data("\n*** \(notice) ***\n\n".utf8))
        }
        return config
    } catch {
        throw fail(error.description)
    }
}

/// Opens the database of the environment (no encryption key needed), checks that `--restaurant` names an existing
/// restaurant, runs `body` and closes the database, also when `body` fails.
func withRestaurant<T>(_ restaurant: String, _ body: (UUID, AlloRestoDatabase) async throws -> T) async throws -> T {
    guard let id = UUID(uuidString: restaurant) else { throw fail("--restaurant: \"\(restaurant)\" is not a restaurant id (UUID)") }
    let config: ServerConfiguration
    do { config = try ServerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment, key: .notNeeded) } catch { throw fail(error.description) }
    let database = try await openDatabase(config)
    do {
        guard try await Restaurant.find(id, on: database.db) != nil else { throw fail("--restaurant: no restaurant \(restaurant)") }
        let result = try await body(id, database)
        await database.close()
        return result
    } catch {
        await database.close()
        throw error
    }
}

func openDatabase(_ config: ServerConfiguration) async throws -> AlloRestoDatabase {
    do {
        return try await AlloRestoDatabase.open(config.database)
    } catch {
        throw fail("DATABASE_URL: cannot open \(config.database): \(String(describing: error).prefix(300))")
    }
}

/// Writes a line to stdout unbuffered, so it shows at once even when stdout is a file and the server keeps running.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Loads Chez Luigi into an empty database and prints how to call it.
func loadDemo(_ config: ServerConfiguration, database: AlloRestoDatabase) async throws {
    let cipher = LineSecretCipher(master: try config.masterKey())
    guard let outcome = try await DemoRestaurant.loadIfEmpty(on: database.db, cipher: cipher) else {
        say("Demo: the database already has restaurants; nothing loaded. (`alloresto token rotate --restaurant ID` prints a new token.)")
        return
    }
    let id = outcome.restaurantId.uuidString.lowercased()
    let token = outcome.agentToken ?? ""
    say("""

    Demo restaurant "Chez Luigi" loaded.
      restaurant id : \(id)
      agent token   : \(token)   (shown once, stored hashed)
      known caller  : \(DemoRestaurant.knownCustomerPhone) (Jean)

    Try it:
      curl -s -H 'Authorization: Bearer \(token)' '\(config.publicURL)/api/ai?restaurantId=\(id)&callerPhone=0612345678'

    """)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTP API and the admin pages (runs migrations first).")

    @Flag(help: "Development mode with the demo restaurant: loads Chez Luigi into an empty database; generates a dev ENCRYPTION_KEY when none is set.")
    var demo = false

    @Flag(help: "Development mode without demo data (dev ENCRYPTION_KEY allowed).")
    var dev = false

    func run() async throws {
        let config = try loadConfiguration(devMode: demo || dev)
        let database = try await openDatabase(config)
        if demo { try await loadDemo(config, database: database) }
        var logger = Logger(label: "alloresto")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let services = try AppServices(configuration: config, database: database, logger: logger)
        let app = try await buildApplication(services: services)
        logger.info("AlloResto listening", metadata: ["address": "http://\(config.host):\(config.port)", "database": "\(config.database)"])
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let queue = services.provisioning {
                    // Restaurants whose agent is missing or differs from what was last sent (created or changed while
                    // sip-agent-server was down) are caught up at start and every 5 minutes, beside the server; the
                    // check is against the database, so replicas agree and only one sends (a lease per restaurant).
                    group.addTask {
                        while !Task.isCancelled {
                            try? await queue.catchUp()
                            try? await Task.sleep(for: .seconds(300))
                        }
                    }
                }
                if let url = config.exchangeRateURL {
                    // Refreshed beside the server, never on a request's path.
                    let every = config.exchangeRateRefresh, log = logger
                    group.addTask { await services.exchangeRates.keepRefreshed(from: url, every: every, logger: log) }
                }
                try await app.runService()
                group.cancelAll()
            }
        } catch {
            await database.close()
            throw fail("cannot serve on \(config.host):\(config.port): \(error)")
        }
        await database.close()
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo restaurant (Chez Luigi) into an empty database, then serve it.")

    @Flag(help: "Only load the demo data; do not start the server.")
    var loadOnly = false

    func run() async throws {
        if loadOnly {
            let config = try loadConfiguration(devMode: true)
            let database = try await openDatabase(config)
            try await loadDemo(config, database: database)
            await database.close()
        } else {
            var serve = Serve()
            serve.demo = true
            try await serve.run()
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import (or re-import) a restaurant from a restaurant-import-v1 JSON file.")

    @Argument(help: "The import file (format of fixtures/restaurant-import-v1.json).")
    var file: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Flag(help: "Do not provision the restaurant in sip-agent-server after the import.")
    var noProvision = false

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot read \(file)") }
        let imp: RestaurantImport
        do {
            imp = try RestaurantImport.parse(data)
        } catch let e as ImportErrors {
            throw fail("\(file): \(e.description)")
        }
        // Import writes no secret, so it needs no encryption key.
        let config: ServerConfiguration
        do { config = try ServerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment, key: .notNeeded) } catch { throw fail(error.description) }
        let database = try await openDatabase(config)
        let outcome: ImportOutcome
        do {
            outcome = try await RestaurantImporter.write(imp, on: database.db)
        } catch {
            await database.close()
            throw fail("\(file): nothing was written: \(error)")
        }
        // Provisioning never fails the import: the restaurant is written; a failure is reported and caught up later.
        var provisioned: String?
        if !noProvision, config.sipAgentServerConfigured, let key = try? config.masterKey() {
            var logger = Logger(label: "alloresto.provision")
            logger.logLevel = .critical
            let provisioner = Provisioner(
                database: database, cipher: LineSecretCipher(master: key), publicURL: config.publicURL,
                api: SipAgentServerClient(baseURL: config.sipAgentServerURL, apiKey: config.sipAgentServerAPIKey), logger: logger)
            provisioned = await provisioner.provision(outcome.restaurantId).line
        }
        await database.close()
        if json {
            struct Out: Encodable { let restaurantId: String; let created: Bool; let agentToken: String?; let categories: Int; let items: Int }
            let out = Out(restaurantId: outcome.restaurantId.uuidString.lowercased(), created: outcome.created, agentToken: outcome.agentToken, categories: outcome.categories, items: outcome.items)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(out), as: UTF8.self))
        } else {
            print("\(outcome.created ? "Imported" : "Updated") \"\(imp.restaurant.name)\": \(outcome.categories) categories, \(outcome.items) items.")
            print("restaurant id: \(outcome.restaurantId.uuidString.lowercased())")
            if let token = outcome.agentToken {
                print("agent token:   \(token)   (shown once, stored hashed)")
            } else {
                print("agent token:   unchanged (shown at first import; `alloresto token rotate --restaurant ID` issues a new one)")
            }
            if let provisioned { print("sip-agent-server: \(provisioned)") }
        }
    }
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage admin accounts.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an admin (or reset their password). The password is read from stdin or ADMIN_PASSWORD.")

        @Option(help: "Login e-mail.")
        var email: String

        func run() async throws {
            var password = ProcessInfo.processInfo.environment["ADMIN_PASSWORD"]
            if password == nil || password!.isEmpty {
                FileHandle.standardError.write(Data("Password (10+ characters): ".utf8))
                password = readLine(strippingNewline: true)
            }
            guard let password, !password.isEmpty else { throw fail("admin create: no password given (stdin or ADMIN_PASSWORD)") }
            let config: ServerConfiguration
            do { config = try ServerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment, key: .notNeeded) } catch { throw fail(error.description) }
            let database = try await openDatabase(config)
            do {
                let created = try await AdminAccounts.createOrUpdate(email: email, password: password, on: database.db)
                await database.close()
                print(created ? "Admin \(email.lowercased()) created." : "Password of \(email.lowercased()) updated.")
            } catch let e as StoreError {
                await database.close()
                throw fail("admin create: \(e.description)")
            }
        }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage agent tokens and management keys.", subcommands: [Rotate.self, ManagementKey.self])

    struct ManagementKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "management-key",
            abstract: "Create a restaurant's management key (for scripts: planning, orders, menu, settings) and print it once.")

        @Option(help: "Restaurant id.")
        var restaurant: String
        @Option(help: "A name to recognize the key in the back office.")
        var label = "script"

        func run() async throws {
            let key = try await withRestaurant(restaurant) { id, database in
                try await ManagementKeys.create(for: id, label: label, createdBy: "command line", on: database.db).key
            }
            print("management key: \(key)   (shown once, stored hashed; revoke it in the back office, Réglages)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a restaurant's agent tokens and print a new one (re-run `provision` afterwards).")

        @Option(help: "Restaurant id.")
        var restaurant: String

        func run() async throws {
            let token = try await withRestaurant(restaurant) { id, database in try await AgentTokens.rotate(for: id, on: database.db) }
            print("agent token: \(token)   (shown once, stored hashed)")
        }
    }
}
