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

/// The demo's owner: an account with a generated password, owner of Chez Luigi, printed once with the back office's
/// address so the README's first command leads to a working back office.
func demoOwner(_ restaurantId: UUID, config: ServerConfiguration, database: AlloRestoDatabase) async throws -> String {
    let email = "proprietaire@chez-luigi.demo"
    let password = String(AgentTokens.generate().dropFirst(4).prefix(16))
    _ = try await AdminAccounts.createOrUpdate(email: email, password: password, cost: 10, on: database)
    guard let user = try await Accounts.account(email: email, on: database.db) else { return "" }
    user.isPlatformAdmin = false
    user.emailVerifiedAt = Date()
    try await user.save(on: database.db)
    try await Accounts.setRole(.owner, userId: user.id!, restaurantId: restaurantId, on: database.db)
    let base = config.publicURL.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    return """
      back office   : \(base)/login
      owner login   : \(email)
      owner password: \(password)   (shown once; `alloresto admin reset --email \(email)` gives a new one)
    """
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
    \(try await demoOwner(outcome.restaurantId, config: config, database: database))

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
        // The provisioning catch-up, exchange rates and housekeeping run in the application's service group.
        let app = try await buildApplication(services: services, background: backgroundServices(services))
        logger.info("AlloResto listening", metadata: ["address": "http://\(config.host):\(config.port)", "database": "\(config.database)"])
        do {
            try await app.runService()
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
    static let configuration = CommandConfiguration(abstract: "Manage back-office accounts.", subcommands: [Create.self, Invite.self, Reset.self])

    /// Prints a single-use link (and mails it when SMTP_URL is set).
    static func deliver(_ link: String, to email: String, subject: String, text: String, config: ServerConfiguration) async {
        print(link)
        guard let smtp = config.smtp else {
            FileHandle.standardError.write(Data("SMTP_URL is not set: give this link to \(email) yourself.\n".utf8))
            return
        }
        do {
            try await SMTPMailer(settings: smtp).send(MailMessage(to: email, subject: subject, text: text + "\n" + link + "\n"))
            FileHandle.standardError.write(Data("Mailed to \(email).\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("The mail could not be sent (\(error)): give this link to \(email) yourself.\n".utf8))
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invite someone by e-mail: an owner or staff member of a restaurant, or (without --restaurant) a platform admin. Prints the single-use link (valid 7 days) and mails it when SMTP_URL is set.")

        @Option(help: "Their e-mail.") var email: String
        @Option(help: "Restaurant id (none: a platform admin).") var restaurant: String?
        @Option(help: "owner or staff (with --restaurant; default owner).") var role: String = "owner"

        func run() async throws {
            let config: ServerConfiguration
            do { config = try ServerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment, key: .notNeeded) } catch { throw fail(error.description) }
            guard let memberRole = MemberRole(rawValue: role.lowercased()) else { throw fail("--role: owner or staff") }
            let database = try await openDatabase(config)
            defer { Task { await database.close() } }
            var name: String?
            var rid: UUID?
            if let restaurant {
                guard let id = UUID(uuidString: restaurant), let r = try await Restaurant.find(id, on: database.db) else { throw fail("--restaurant: no restaurant \(restaurant)") }
                rid = id
                name = r.name
            }
            let secret: String
            do {
                secret = try await Accounts.issue(.invite, email: email, restaurantId: rid, role: rid == nil ? nil : memberRole, createdBy: "ligne de commande",
                                                  now: Date(), on: database.db)
            } catch let e as StoreError { throw fail("admin invite: \(e.description)") }
            try await AuditLog.record(restaurantId: rid, actor: "ligne de commande", action: rid == nil ? "admin.invite" : "member.invite",
                                      detail: "a invité \(email.lowercased()) (\(rid == nil ? "administrateur" : memberRole.label))", now: Date(), on: database.db)
            let what = name.map { "rejoindre \($0) sur AlloResto (rôle : \(memberRole.label))" } ?? "administrer la plateforme AlloResto"
            await Admin.deliver(config.publicURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/invite/\(secret)", to: email, subject: "Invitation AlloResto",
                                text: "Bonjour,\n\nVous êtes invité·e à \(what). Ouvrez ce lien (valable 7 jours, une seule fois) pour choisir votre mot de passe :", config: config)
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a single-use password-reset link for an account (valid one hour; every session ends when it is used); mailed too when SMTP_URL is set.")

        @Option(help: "The account's e-mail.") var email: String

        func run() async throws {
            let config: ServerConfiguration
            do { config = try ServerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment, key: .notNeeded) } catch { throw fail(error.description) }
            let database = try await openDatabase(config)
            defer { Task { await database.close() } }
            guard let address = Accounts.normalizedEmail(email), try await Accounts.account(email: address, on: database.db) != nil else {
                throw fail("admin reset: no account \(email)")
            }
            let secret = try await Accounts.issue(.reset, email: address, createdBy: "ligne de commande", now: Date(), on: database.db)
            await Admin.deliver(config.publicURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/password/reset/\(secret)", to: address,
                                subject: "Mot de passe AlloResto", text: "Bonjour,\n\nPour choisir un nouveau mot de passe AlloResto, ouvrez ce lien (valable une heure, une seule fois) :",
                                config: config)
        }
    }

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
                let created = try await AdminAccounts.createOrUpdate(email: email, password: password, on: database)
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
