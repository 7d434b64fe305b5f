import AlloRestoCore
import AlloRestoServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct OpenAPITests {
    @Test func everyAPIRouteIsDescribedAndNothingElse() async throws {
        let config = TestApp.configuration()
        try await AlloRestoTestSupport.TestDatabases.with("sqlite") { database in
            let services = try AppServices(configuration: config, database: database)
            let router = try await buildRouter(services: services)
            let routes = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \($0.path)" }.filter { $0.contains(" /api/") })
            let app = Application(router: router)
            let doc = try await app.test(.router) { client in try await client.execute(uri: "/openapi.json", method: .get).json() }
            #expect(doc["openapi"] == "3.1.0")
            var described = Set<String>()
            for (path, ops) in doc["paths"]?.objectValue ?? [:] {
                for method in ops.objectValue?.keys ?? [:].keys {
                    described.insert("\(method) \(path)")
                    let op = ops[method]!
                    #expect(op["responses"]?["200"] != nil, "\(method) \(path) has no 200 response")
                    #expect(op["security"]?.arrayValue?.isEmpty == false, "\(method) \(path) has no security")
                }
            }
            #expect(routes.subtracting(described).isEmpty, "routes missing from /openapi.json: \(routes.subtracting(described).sorted())")
            #expect(described.subtracting(routes).isEmpty, "documented but not routed: \(described.subtracting(routes).sorted())")
            #expect(routes.count >= 15)
        }
    }
}

import AlloRestoTestSupport
