import Foundation
import Testing

/// The rules of ARCHITECTURE.md that a grep can check, so the shape cannot drift silently.
@Suite struct LayoutRulesTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    static func files(under folder: String) -> [(name: String, text: String)] {
        let root = sources.appendingPathComponent(folder)
        let urls = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        return urls.compactMap { url in (try? String(contentsOf: url, encoding: .utf8)).map { (url.lastPathComponent, $0) } }
    }

    /// The bridge knows SIP, media and JSON, not restaurants.
    @Test func theBridgeDoesNotImportTheRestaurantDomain() {
        let bridge = Self.files(under: "SIPBridge") + Self.files(under: "SIPCore") + Self.files(under: "RedisClient")
        #expect(bridge.count > 20)
        let offenders = bridge.filter { $0.text.contains("import AlloRestoCore") || $0.text.contains("import AlloRestoStore") }.map(\.name)
        #expect(offenders.isEmpty, "\(offenders)")
        #expect(Self.files(under: "WireFormats").allSatisfy { !$0.text.contains("import Allo") })
    }

    /// A migration is history: it never reads live code (a model, a book's constants, a Core rule).
    @Test func migrationsAreSelfContained() throws {
        let migrations = try #require(Self.files(under: "AlloRestoStore").first { $0.name == "Migrations.swift" })
        let imports = migrations.text.split(separator: "\n").filter { $0.hasPrefix("import ") }.map(String.init)
        #expect(Set(imports) == ["import FluentKit", "import SQLKit"], "\(imports)")
        for live in ["KitchenBook.", "OrderBook.", "ReservationBook.", "OrderStatus.", "SettingLimits.", ".schema)", " Restaurant.", " Order."] {
            #expect(!migrations.text.contains(live), "Migrations.swift reads \(live)")
        }
    }

    /// The Store is the only door to the database: no file of the server (the HTTP edge, `/api/ai`, the tools, the
    /// integration hooks, the back office and its pages) imports a database library or writes a query; each asks
    /// the Store's repositories by intention.
    @Test func theServerAsksTheStore() {
        let files = Self.files(under: "AlloRestoServer")
        #expect(files.count >= 40)
        let offenders = files.filter { f in
            ["import FluentKit", "import SQLKit", "import Fluent", ".query(on:", "sql.raw(", ".raw(\"", ".save(on:", ".create(on:", ".delete(on:",
             ".transaction {"].contains { f.text.contains($0) }
                // A model fetched by id: `Restaurant.find(id, on: db)`.
                || f.text.range(of: #"[A-Z][A-Za-z]*\.find\(\w+, on:"#, options: .regularExpression) != nil
        }.map(\.name)
        #expect(offenders.isEmpty, "\(offenders)")
    }

    /// The order statuses are listed in one place (`OrderStatus`): no other Swift source spells their list.
    @Test func orderStatusesHaveOneDefinition() {
        let all = ["AlloRestoCore", "AlloRestoStore", "AlloRestoServer", "alloresto"].flatMap(Self.files(under:))
        let offenders = all.filter { $0.name != "OrderStatus.swift" && $0.name != "Migrations.swift" && $0.text.contains(#""pending", "confirmed", "preparing""#) }.map(\.name)
        #expect(offenders.isEmpty, "\(offenders)")
    }

    /// A tool's sentences are built in the Server's `Wording/`: the rules (Core), the Store and the tools' routes
    /// return typed refusals and facts, never a `Refusal` sentence or a `"message"` of their own.
    @Test func theToolsSayNothingOutsideWording() {
        let rules = Self.files(under: "AlloRestoCore") + Self.files(under: "AlloRestoStore")
        let tools = Self.files(under: "AlloRestoServer/Tools")
        #expect(tools.count >= 8)
        let offenders = (rules + tools).filter { f in
            f.text.contains("Refusal(\"") || f.text.contains("\"message\": \"") || f.text.contains("\"message\": .string(\"")
                || f.text.contains("public struct Refusal")
        }.map(\.name)
        #expect(offenders.isEmpty, "\(offenders)")
    }

    /// The README's Layout and ARCHITECTURE.md name every module and every folder of the server: a new one cannot
    /// go unmentioned.
    @Test func theLayoutDocsNameEveryModuleAndFolder() throws {
        let root = Self.sources.deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let architecture = try String(contentsOf: root.appendingPathComponent("ARCHITECTURE.md"), encoding: .utf8)
        let fm = FileManager.default
        let modules = try fm.contentsOfDirectory(atPath: Self.sources.path).filter { !$0.hasPrefix(".") }
        #expect(modules.count >= 8)
        for m in modules {
            #expect(readme.contains("Sources/\(m) "), "README's Layout does not name Sources/\(m)")
            #expect(architecture.contains("\(m)/"), "ARCHITECTURE.md does not name \(m)/")
        }
        let server = Self.sources.appendingPathComponent("AlloRestoServer")
        let folders = try fm.contentsOfDirectory(atPath: server.path).filter { name in
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: server.appendingPathComponent(name).path, isDirectory: &isDirectory) && isDirectory.boolValue && name != "Templates"
        }
        #expect(folders.count >= 7)
        for f in folders {
            #expect(readme.contains("\(f)/"), "README's Layout does not name AlloRestoServer/\(f)/")
            #expect(architecture.contains("\(f)/"), "ARCHITECTURE.md does not name AlloRestoServer/\(f)/")
        }
    }
}
