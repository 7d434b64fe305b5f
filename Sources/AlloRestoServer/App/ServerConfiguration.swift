import AlloRestoCore
import AlloRestoStore
import Foundation

/// A configuration problem, reported at start in one line naming the variable and what is expected.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The server's settings, read from the environment (SPEC §2).
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    public var dataDirectory: String
    public var publicURL: String
    public var sipAgentServerURL: String
    public var sipAgentServerAPIKey: String?
    public var encryptionKeyHex: String
    public var demoLine: SIPCredentials
    public var redisURL: String
    public var exchangeRates: ExchangeRates
    /// Optional provider refreshing `exchangeRates` in the background (`EXCHANGE_RATE_URL`).
    public var exchangeRateURL: String?
    public var exchangeRateRefresh: Duration = .seconds(12 * 3600)
    public var defaultMarginPct: Double
    /// Address → coordinates for deliveries (`GEOCODER`, `GEOCODER_URL`, `GEOCODER_API_KEY`); `.none` by default.
    public var geocoder: GeocoderSettings = .none
    /// `ALLORESTO_SERVICE_TOKEN`: the SIP bridge's token for `GET /api/sip/agents` (unset: that route is off).
    public var serviceToken: String?
    /// bcrypt's cost for new passwords (12; tests use less).
    public var bcryptCost: UInt8 = 12
    /// `SMTP_URL`: where invitations and password resets are mailed (unset: the links are shown to whoever asked
    /// and printed by `alloresto admin invite|reset`).
    public var smtp: SMTPSettings?
    /// Whether `SIP_AGENT_SERVER_URL` was set (background provisioning only talks to a server someone configured).
    public var sipAgentServerConfigured = false

    /// The HTTP edge's limits (README "Security"): `HTTP_HEADER_TIMEOUT_SEC`, `HTTP_IDLE_TIMEOUT_SEC`,
    /// `HTTP_MAX_CONNECTIONS`.
    public var edge = HTTPEdgeLimits()

    /// Lines to print at start (a generated dev key, …); never contains a secret.
    public var notices: [String] = []

    public init(
        host: String = "127.0.0.1", port: Int = 3000, database: DatabaseLocation = .sqliteMemory, dataDirectory: String = "./data",
        publicURL: String = "http://localhost:3000", sipAgentServerURL: String = "http://localhost:4000",
        sipAgentServerAPIKey: String? = nil, encryptionKeyHex: String,
        demoLine: SIPCredentials = SIPCredentials(domain: "sip.twilio.com", username: "", password: "", source: .demo),
        redisURL: String = "redis://127.0.0.1:6379", exchangeRates: ExchangeRates = .builtIn, defaultMarginPct: Double = 30
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.dataDirectory = dataDirectory
        self.publicURL = publicURL
        self.sipAgentServerURL = sipAgentServerURL
        self.sipAgentServerAPIKey = sipAgentServerAPIKey
        self.encryptionKeyHex = encryptionKeyHex
        self.demoLine = demoLine
        self.redisURL = redisURL
        self.exchangeRates = exchangeRates
        self.defaultMarginPct = defaultMarginPct
    }

    /// How a command needs `ENCRYPTION_KEY`.
    public enum KeyRequirement: Sendable {
        /// Production: must be set and valid.
        case required
        /// Dev/demo mode: when unset, a key is generated once into the data folder and reused.
        case generateIfMissing
        /// The command handles no secret (import, admin accounts): a set key is still validated.
        case notNeeded
    }

    /// Reads the environment (SPEC §2). Every problem is one line naming the variable and what is expected.
    public static func fromEnvironment(_ env: [String: String], devMode: Bool) throws(ConfigurationError) -> ServerConfiguration {
        try fromEnvironment(env, key: devMode ? .generateIfMissing : .required)
    }

    public static func fromEnvironment(_ env: [String: String], key requirement: KeyRequirement) throws(ConfigurationError) -> ServerConfiguration {
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        let host = value("HOST") ?? "127.0.0.1"
        var port = 3000
        if let p = value("PORT") {
            guard let n = Int(p), (1...65535).contains(n) else { throw ConfigurationError("PORT: expected a TCP port number 1-65535, got \"\(p)\"") }
            port = n
        }
        let dbText = value("DATABASE_URL") ?? "sqlite://./data/alloresto.sqlite"
        let database: DatabaseLocation
        do { database = try DatabaseLocation(url: dbText) } catch { throw ConfigurationError(error.description) }
        var dataDirectory = value("ALLORESTO_DATA_DIR") ?? "./data"
        if value("ALLORESTO_DATA_DIR") == nil, case .sqliteFile(let path) = database {
            let dir = (path as NSString).deletingLastPathComponent
            dataDirectory = dir.isEmpty ? "." : dir
        }
        var notices: [String] = []
        /// A variable or, when it is not set, its alias from the original AlloResto (`.env` files written for it work).
        func aliased(_ primary: String, _ alias: String) -> (name: String, value: String)? {
            if let v = value(primary) {
                if let other = value(alias), other != v { notices.append("\(alias) is ignored: \(primary) is set and wins") }
                return (primary, v)
            }
            return value(alias).map { (alias, $0) }
        }
        let publicSetting = aliased("ALLORESTO_PUBLIC_URL", "ALLORESTO_CALLBACK_URL")
        let sasSetting = aliased("SIP_AGENT_SERVER_URL", "SIP_AGENT_INTERNAL_URL")
        let sasKey = aliased("SIP_AGENT_SERVER_API_KEY", "SIP_ACCOUNT_API_KEY")
        for setting in [publicSetting, sasSetting].compactMap({ $0 }) {
            let v = setting.value
            if URL(string: v)?.scheme.map({ ["http", "https"].contains($0) }) != true || URL(string: v)?.host == nil {
                throw ConfigurationError("\(setting.name): expected an http(s):// URL, got \"\(v)\"")
            }
        }
        var rates = ExchangeRates.builtIn
        if let r = value("EXCHANGE_RATES") {
            guard let parsed = ExchangeRates.parse(r) else {
                throw ConfigurationError("EXCHANGE_RATES: expected CODE=rate pairs such as \"EUR=0.92,GBP=0.79\"")
            }
            rates = parsed
        }
        var rateURL: String?
        if let u = value("EXCHANGE_RATE_URL") {
            guard let url = URL(string: u), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError("EXCHANGE_RATE_URL: expected an http(s):// URL answering {\"rates\": {\"EUR\": 0.92, …}} with USD as base")
            }
            rateURL = u
        }
        var refresh = Duration.seconds(12 * 3600)
        if let h = value("EXCHANGE_RATE_REFRESH_HOURS") {
            guard let hours = CheckedNumber.decimal(text: h), hours >= 0.1, hours <= 24 * 30 else {
                throw ConfigurationError("EXCHANGE_RATE_REFRESH_HOURS: expected a number of hours between 0.1 and 720, got \"\(h)\"")
            }
            refresh = .seconds(hours * 3600)
        }
        var geocoder = GeocoderSettings.none
        switch value("GEOCODER")?.lowercased() {
        case nil, "none": break
        case "nominatim":
            geocoder = .nominatim(url: value("GEOCODER_URL") ?? "https://nominatim.openstreetmap.org")
        case "google":
            guard let key = value("GEOCODER_API_KEY") else { throw ConfigurationError("GEOCODER_API_KEY: required when GEOCODER=google") }
            geocoder = .google(url: value("GEOCODER_URL") ?? "https://maps.googleapis.com", apiKey: key)
        case let other?:
            throw ConfigurationError("GEOCODER: expected none, nominatim or google, got \"\(other)\"")
        }
        if let u = value("GEOCODER_URL"), URL(string: u)?.scheme.map({ ["http", "https"].contains($0) }) != true || URL(string: u)?.host == nil {
            throw ConfigurationError("GEOCODER_URL: expected an http(s):// URL, got \"\(u)\"")
        }
        var margin = 30.0
        if let m = value("AI_COST_MARGIN_PCT") {
            guard let v = CheckedNumber.decimal(text: m), (0...1000).contains(v) else { throw ConfigurationError("AI_COST_MARGIN_PCT: expected a percentage 0-1000, got \"\(m)\"") }
            margin = v
        }

        var edge = HTTPEdgeLimits()
        func wholeNumber(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let v = value(name) else { return nil }
            guard let n = CheckedNumber.decimal(text: v).flatMap({ CheckedNumber.whole($0, in: range) }) else {
                throw ConfigurationError("\(name): expected a whole number between \(range.lowerBound) and \(range.upperBound), got \"\(v)\"")
            }
            return n
        }
        if let n = try wholeNumber("HTTP_HEADER_TIMEOUT_SEC", 1...300) { edge.headerTimeoutSeconds = n }
        if let n = try wholeNumber("HTTP_IDLE_TIMEOUT_SEC", 1...3600) { edge.idleTimeoutSeconds = n }
        if let n = try wholeNumber("HTTP_MAX_CONNECTIONS", 1...1_000_000) { edge.maxConnections = n }

        let keyHex: String
        if let k = value("ENCRYPTION_KEY") {
            do { _ = try MasterKey(hex: k) } catch { throw ConfigurationError(error.description) }
            keyHex = k
        } else if requirement == .notNeeded {
            keyHex = ""
        } else if requirement == .generateIfMissing {
            let keyPath = (dataDirectory as NSString).appendingPathComponent("encryption.key")
            if let saved = try? String(contentsOfFile: keyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
               (try? MasterKey(hex: saved)) != nil {
                keyHex = saved
                notices.append("DEV MODE: ENCRYPTION_KEY is not set; using the development key kept in \(keyPath). Set ENCRYPTION_KEY in production.")
            } else {
                keyHex = MasterKey.generateHex()
                try? FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: keyPath, contents: Data((keyHex + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw ConfigurationError("ENCRYPTION_KEY: not set, and the development key could not be written to \(keyPath)")
                }
                notices.append("DEV MODE: ENCRYPTION_KEY is not set; GENERATED a development key into \(keyPath). SIP passwords encrypted with it need that file. Set ENCRYPTION_KEY (64 hex characters) in production.")
            }
        } else {
            throw ConfigurationError("ENCRYPTION_KEY: required, 64 hexadecimal characters (32 bytes), e.g. generated with `openssl rand -hex 32` (or run with --demo for a development key)")
        }

        var config = ServerConfiguration(
            host: host, port: port, database: database, dataDirectory: dataDirectory,
            publicURL: publicSetting?.value ?? "http://localhost:\(port)",
            sipAgentServerURL: sasSetting?.value ?? "http://localhost:4000",
            sipAgentServerAPIKey: sasKey?.value,
            encryptionKeyHex: keyHex,
            demoLine: SIPCredentials(
                domain: value("SIP_DOMAIN") ?? "sip.twilio.com", username: value("SIP_USERNAME") ?? "",
                password: value("SIP_PASSWORD") ?? "", source: .demo),
            redisURL: value("REDIS_URL") ?? "redis://127.0.0.1:6379",
            exchangeRates: rates, defaultMarginPct: margin)
        config.notices = notices
        config.edge = edge
        config.exchangeRateURL = rateURL
        config.exchangeRateRefresh = refresh
        config.geocoder = geocoder
        config.sipAgentServerConfigured = sasSetting != nil
        if let t = value("ALLORESTO_SERVICE_TOKEN") {
            guard t.count >= 24 else { throw ConfigurationError("ALLORESTO_SERVICE_TOKEN: at least 24 characters (e.g. `openssl rand -hex 24`)") }
            config.serviceToken = t
        }
        if let url = value("SMTP_URL") {
            do { config.smtp = try SMTPSettings.parse(url) } catch { throw ConfigurationError("\(error)") }
        }
        return config
    }

    public func masterKey() throws -> MasterKey { try MasterKey(hex: encryptionKeyHex) }
}
