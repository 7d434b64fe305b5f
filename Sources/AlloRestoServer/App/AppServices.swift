import AlloRestoCore
import AlloRestoStore
import Foundation
import Logging

/// Everything the routes use, built once at start: the database, the cipher, the caches and an injectable clock.
public struct AppServices: Sendable {
    public let configuration: ServerConfiguration
    public let database: AlloRestoDatabase
    public let cipher: LineSecretCipher
    public let sessions: SessionSource
    public let exchangeRates: ExchangeRateBook
    /// Group-commit writer of confirmed orders (one per replica).
    public let orderWriter: OrderWriter
    public let now: @Sendable () -> Date
    public let logger: Logger
    /// Delivery addresses → coordinates; nil when no provider is configured (saved or given coordinates only).
    public let geocoder: (any Geocoder)?
    /// Provisioning in sip-agent-server (`SIP_AGENT_SERVER_URL`, default `http://localhost:4000`).
    public let provisioner: Provisioner
    /// Background provisioning after a restaurant write; nil when no sip-agent-server is configured.
    public let provisioning: ProvisioningQueue?
    /// Failed logins per account and per address (growing lock, then 429).
    public let loginThrottle: LoginThrottle
    /// bcrypt off the event loops, with a bounded queue.
    public let passwordHasher: PasswordHasher
    /// Adds a line to the audit log, never failing the request that made the change (a failure is logged).
    func audit(_ restaurantId: UUID?, by actor: String, _ action: String, _ detail: String) async {
        do { try await AuditLog.record(restaurantId: restaurantId, actor: actor, action: action, detail: detail, now: now(), on: database.db) } catch {
            logger.error("audit log write failed", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }

    /// Invitations and password resets by e-mail (`SMTP_URL`); nil: links are shown instead.
    public var mailer: (any Mailer)?
    /// The dialed numbers of the incoming-call hook (`POST /api/sip/incoming`).
    let incomingDirectory = IncomingDirectory()

    public init(configuration: ServerConfiguration, database: AlloRestoDatabase, now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "alloresto"), geocoder: (any Geocoder)? = nil) throws {
        self.geocoder = geocoder ?? configuration.geocoder.make()
        self.configuration = configuration
        self.database = database
        cipher = LineSecretCipher(master: try configuration.masterKey())
        sessions = SessionSource(database: database, cipher: cipher)
        exchangeRates = ExchangeRateBook(configuration.exchangeRates)
        orderWriter = OrderWriter(database: database)
        self.now = now
        self.logger = logger
        loginThrottle = LoginThrottle()
        passwordHasher = .shared
        mailer = configuration.smtp.map { SMTPMailer(settings: $0) }
        provisioner = Provisioner(
            database: database, cipher: cipher, publicURL: configuration.publicURL,
            api: SipAgentServerClient(baseURL: configuration.sipAgentServerURL, apiKey: configuration.sipAgentServerAPIKey), logger: logger, now: now)
        provisioning = configuration.sipAgentServerConfigured ? ProvisioningQueue(provisioner: provisioner) : nil
    }
}
