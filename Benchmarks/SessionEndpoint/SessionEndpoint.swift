import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
@preconcurrency import Benchmark
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit

/// `GET /api/ai` for a 100-item menu, a known caller with order history and an encrypted phone line, against a
/// bare JSON route (`/health`) of the same application, both through the router, warm.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        warmupIterations: 200,
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 20_000)

    Benchmark("GET /api/ai (100 items, known caller, encrypted line)") { benchmark in
        try await Fixture.run(benchmark) { (Fixture.aiURI, Fixture.authorization) }
    }
    // A credential-stuffing flood: 8 logins at a time, each for another unknown account (so the per-account lock
    // never stops them and each costs a bcrypt at cost 12). Compare its median with the line above (same run).
    // 1,000 calls per sample (a bcrypt at cost 12 takes about as long as 200 of them), the flood running throughout;
    // the same for the line without a flood, so the two medians compare.
    Benchmark("GET /api/ai, 1000 calls per sample, no flood", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(20), maxIterations: 15)) { benchmark in
        try await Fixture.run(benchmark) { (Fixture.aiURI, Fixture.authorization) }
    }
    Benchmark("GET /api/ai, 1000 calls per sample, during a login flood (8 at a time, unknown accounts)",
              configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(20), maxIterations: 15)) { benchmark in
        try await Fixture.run(benchmark, loginFlood: 8) { (Fixture.aiURI, Fixture.authorization) }
    }
    Benchmark("GET /health (bare JSON route)") { benchmark in
        try await Fixture.run(benchmark) { ("/health", [:]) }
    }
    partBenchmarks()
    promptBenchmarks()
    planningBenchmarks()
}

/// The parts of one `/api/ai` call, measured alone, to see where its time goes.
let partBenchmarks: @Sendable () -> Void = {
    Benchmark("part: call lookup (one query: version, margin, caller, last orders)") { benchmark in
        let services = try await Fixture.prepare()
        _ = try await services.sessions.call(restaurantId: Fixture.restaurantId, callerPhone: "0612345678")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await services.sessions.call(restaurantId: Fixture.restaurantId, callerPhone: "0612345678"))
        }
        benchmark.stopMeasurement()
    }
    Benchmark("part: build and encode the configuration") { benchmark in
        let services = try await Fixture.prepare()
        let (session, caller) = try await services.sessions.call(restaurantId: Fixture.restaurantId, callerPhone: "0612345678")!
        let line = session.line!
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(session.template.configurationJSON(now: Date(), caller: caller, credentials: line, marginPct: 30, exchangeRate: 0.92))
        }
        benchmark.stopMeasurement()
    }
}

let promptBenchmarks: @Sendable () -> Void = {
    Benchmark("floor: SELECT 1 through Fluent's SQLite driver") { benchmark in
        let services = try await Fixture.prepare()
        let sql = services.database.db as! any SQLDatabase
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try await sql.raw("SELECT 1 AS one").all()) }
        benchmark.stopMeasurement()
    }
    Benchmark("part: prompt text only") { benchmark in
        let services = try await Fixture.prepare()
        let (session, caller) = try await services.sessions.call(restaurantId: Fixture.restaurantId, callerPhone: "0612345678")!
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(session.template.prompt.prompt(now: Date(), caller: caller)) }
        benchmark.stopMeasurement()
    }
}

enum Fixture {
    nonisolated(unsafe) static var restaurantId = UUID()
    static let keyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    nonisolated(unsafe) static var aiURI = ""
    nonisolated(unsafe) static var authorization: HTTPFields = [:]
    nonisolated(unsafe) static var services: AppServices?

    /// Builds the data once (the benchmark body runs once per sample).
    static func prepare() async throws -> AppServices {
        if let services { return services }
        let database = try await AlloRestoDatabase.open(.sqliteMemory)
        let config = ServerConfiguration(encryptionKeyHex: keyHex)
        let services = try AppServices(configuration: config, database: database)
        let demo = try await DemoRestaurant.load(on: database.db, cipher: services.cipher)
        let db = database.db
        let categories: [MenuCategory] = try await MenuCategory.query(on: db).all()
        let options = #"[{"name":"Taille","required":true,"type":"single_choice","choices":[{"label":"Normale","price_modifier_minor":0},{"label":"Grande","price_modifier_minor":300}]}]"#
        let existing = try await MenuItem.query(on: db).count()
        for i in 0..<(100 - existing) {
            let item = MenuItem()
            item.$restaurant.id = demo.restaurantId
            item.$category.id = categories[i % categories.count].id
            item.name = "Plat du chef \(i)"
            item.description = "Spécialité numéro \(i), servie avec sa garniture"
            item.price = 900 + i * 10
            item.allergens = #"["gluten","lactose"]"#
            item.tags = "[]"
            item.isAvailable = true
            item.displayOrder = 10 + i
            item.options = i % 3 == 0 ? options : "[]"
            try await item.create(on: db)
        }
        try await RestaurantVersion.bump(demo.restaurantId, on: db)
        restaurantId = demo.restaurantId
        aiURI = "/api/ai?restaurantId=\(demo.restaurantId.uuidString.lowercased())&callerPhone=0612345678"
        authorization = [.authorization: "Bearer \(demo.agentToken!)"]
        self.services = services
        return services
    }

    /// `request` is read after `prepare()`, which creates the restaurant the URI names.
    /// `loginFlood`: that many `POST /login` kept in flight during the measurement.
    static func run(_ benchmark: Benchmark, loginFlood: Int = 0, request: () -> (uri: String, headers: HTTPFields)) async throws {
        let services = try await prepare()
        let (uri, headers) = request()
        let app = try await buildApplication(services: services)
        try await app.test(.router) { client in
            // One request outside the measurement fills the per-replica caches (warm path).
            let first = try await client.execute(uri: uri, method: .get, headers: headers)
            precondition(first.status == .ok, "\(uri) answered \(first.status)")
            // The measurement starts once the flood has had a first answer (bcrypt running), not after a guess.
            let (floodAnswered, answered) = AsyncStream.makeStream(of: Void.self)
            let flood = Task {
                await withTaskGroup(of: [Int: Int].self) { group in
                    for worker in 0..<loginFlood {
                        group.addTask {
                            var statuses: [Int: Int] = [:]
                            var n = 0
                            while !Task.isCancelled {
                                let r = try? await client.execute(
                                    uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                    body: ByteBuffer(string: "email=flood\(worker)-\(n)%40example.test&password=not+the+password"))
                                if Task.isCancelled { break }  // an answer cut by the end of the sample is not the flood's
                                statuses[Int(r?.status.code ?? 0), default: 0] += 1
                                answered.yield()
                                n += 1
                            }
                            return statuses
                        }
                    }
                    return await group.reduce(into: [Int: Int]()) { $0.merge($1, uniquingKeysWith: +) }
                }
            }
            if loginFlood > 0 {
                for await _ in floodAnswered { break }
            }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let response = try await client.execute(uri: uri, method: .get, headers: headers)
                blackHole(response.body.readableBytes)
            }
            benchmark.stopMeasurement()
            flood.cancel()
            answered.finish()
            let statuses = await flood.value
            if loginFlood > 0 { FileHandle.standardError.write(Data("login flood answers by status: \(statuses.sorted { $0.key < $1.key })\n".utf8)) }
        }
    }
}
