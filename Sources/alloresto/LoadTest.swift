import AlloRestoCore
import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// Fires confirm_order calls at a live server as N concurrent simulated calls, then reports throughput and
/// latency percentiles and checks the order numbers: no duplicate, no gap.
struct LoadTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-test",
        abstract: "Load a live server with concurrent confirm_order calls and verify the order numbers.")

    @Option(help: "Base URL of a running `alloresto serve`.") var baseURL = "http://127.0.0.1:3000"
    @Option(help: "Restaurant id.") var restaurant: String
    @Option(help: "The restaurant's agent token.") var token: String
    @Option(help: "Concurrent simulated calls.") var concurrency = 200
    @Option(help: "Orders in total.") var orders = 4000
    @Option(help: "The #N of an item without required options to order.") var item = 1
    @Option(help: "Open-loop rate in orders/s spread over the calls (0: each call orders again as soon as answered).")
    var rate: Double = 0
    @Option(help: "Kitchen capacity (units per resource) set for the run and restored after, so the planner does not refuse thousands of orders in minutes; 0 keeps the restaurant's planning.")
    var kitchenCapacity = 100_000

    /// GET or PUT the restaurant's planning override.
    func planning(_ client: HTTPClient, put: JSONValue?) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + "/api/planning/config" + (put == nil ? "?restaurantId=\(restaurant)" : ""))
        request.method = put == nil ? .GET : .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let put {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.encoded(JSONValue.object(["restaurantId": .string(restaurant), "config": put]))))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw ValidationError("planning config: HTTP \(response.status.code) \(String(buffer: body))") }
        return try JSONReader.parse(Array(buffer: body))
    }

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))
        let url = baseURL + "/api/ai/tools/confirm-order"
        var previous: JSONValue?
        if kitchenCapacity > 0 {
            previous = try await planning(client, put: nil)["override"] ?? .null
            var override = previous?.objectValue ?? [:]
            override["capacity"] = .object(["cuisine": .int(kitchenCapacity), "preparation": .int(kitchenCapacity), "comptoir": .int(kitchenCapacity), "livraison": .int(kitchenCapacity)])
            override["maxShiftMin"] = 240
            _ = try await planning(client, put: .object(override))
            print("kitchen capacity set to \(kitchenCapacity) units for the run (restored after)")
        }
        // The time every order asks for: the one check_availability gives now (the next opening when closed), as a
        // call would announce it, so the run does not depend on the restaurant's hours at the time it is made.
        var check = HTTPClientRequest(url: baseURL + "/api/availability/check")
        check.method = .POST
        check.headers.add(name: "Authorization", value: "Bearer \(token)")
        check.body = .bytes(ByteBuffer(string: #"{"restaurantId":"\#(restaurant)","mode":"pickup","itemCount":1}"#))
        let checked = try JSONReader.parse(Array(buffer: try await client.execute(check, timeout: .seconds(10)).body.collect(upTo: 1 << 20)))
        guard let slot = checked["estimatedTimeISO"]?.stringValue ?? checked["nextAvailableTimeISO"]?.stringValue else {
            throw ValidationError("check_availability gave no time: \(String(decoding: JSONWriter.encoded(checked), as: UTF8.self))")
        }
        print("orders ask for \(slot) (check_availability's time)")
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let started = ContinuousClock.now
        let results: [(Duration, Int?)]
        do { results = try await withThrowingTaskGroup(of: [(Duration, Int?)].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var mine: [(Duration, Int?)] = []
                    var i = worker
                    while i < orders {
                        if rate > 0 {
                            // Open loop: order i is due at i / rate seconds, whether or not earlier ones are answered.
                            let due = started + .milliseconds(Int64(Double(i) * 1000 / rate))
                            try await Task.sleep(until: due, clock: .continuous)
                        }
                        let body = #"{"restaurantId":"\#(restaurant)","order_type":"pickup","items":[{"id":\#(item),"quantity":1}],"call_id":"load-\#(run)-\#(i)","caller_phone":"06\#(String(format: "%08d", i))","last_availability_check":{"estimatedTimeISO":"\#(slot)"}}"#
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: body))
                        let t0 = ContinuousClock.now
                        let response = try await client.execute(request, timeout: .seconds(30))
                        let data = try await response.body.collect(upTo: 1 << 20)
                        let elapsed = ContinuousClock.now - t0
                        let json = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: data))
                        var number: Int?
                        if case .int(let n)? = json?["order_number"] { number = n }
                        mine.append((elapsed, number))
                        i += concurrency
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [(Duration, Int?)]()) { $0 += $1 }
        } } catch {
            // Leave the restaurant as it was even when the run fails.
            if let previous { _ = try? await planning(client, put: previous) }
            try? await client.shutdown()
            throw error
        }
        let total = ContinuousClock.now - started
        if let previous { _ = try await planning(client, put: previous) }
        try await client.shutdown()

        let latencies = results.map(\.0).sorted()
        func pct(_ p: Double) -> Double {
            let d = latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        let numbers = results.compactMap(\.1).sorted()
        let failed = results.count - numbers.count
        let unique = Set(numbers).count
        let contiguous = numbers.isEmpty || numbers.last! - numbers.first! + 1 == numbers.count
        let seconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
        print(String(format: "orders: %d in %.2f s with %d concurrent calls%@ = %.0f orders/s", results.count, seconds, concurrency,
                     rate > 0 ? String(format: ", paced at %.0f/s", rate) : ", back to back", Double(results.count) / seconds))
        print(String(format: "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f", pct(0.5), pct(0.9), pct(0.99), pct(1.0)))
        print("numbers: \(numbers.first.map(String.init) ?? "-")…\(numbers.last.map(String.init) ?? "-"), \(unique) unique of \(numbers.count), failed \(failed), \(contiguous && unique == numbers.count ? "no duplicate, no gap" : "DUPLICATES OR GAPS")")
        if failed > 0 || unique != numbers.count || !contiguous { throw ExitCode(1) }
    }
}
