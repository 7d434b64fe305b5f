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

    @Option(help: "Base URL of a running `alloresto serve` (default: http://127.0.0.1:$PORT, PORT as for serve, 3000 when unset).")
    var baseURL = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["PORT"].flatMap { Int($0) }.map { String(min(max($0, 1), 65535)) } ?? "3000")"
    @Option(help: "Restaurant id.") var restaurant: String
    @Option(help: "The restaurant's agent token (the orders are tool calls).") var token: String
    @Option(help: "A management key of the restaurant (`alloresto token management-key`), needed to change its kitchen capacity for the run; or ALLORESTO_MANAGEMENT_KEY.")
    var managementKey: String?
    @Option(help: "Concurrent simulated calls.") var concurrency = 200
    @Option(help: "Orders in total.") var orders = 4000
    @Option(help: "The #N of an item without required options to order.") var item = 1
    @Option(help: "Open-loop rate in orders/s spread over the calls (0: each call orders again as soon as answered).")
    var rate: Double = 0
    @Option(help: "Kitchen capacity (units per resource) set for the run and restored after, so the planner does not refuse thousands of orders in minutes; 0 keeps the restaurant's planning.")
    var kitchenCapacity = 100_000

    func validate() throws {
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency: between 1 and 10000") }
        guard (1...10_000_000).contains(orders) else { throw ValidationError("--orders: between 1 and 10000000") }
        guard CheckedNumber.bounded(rate, in: 0...1_000_000) != nil else { throw ValidationError("--rate: a number of orders/s between 0 and 1000000") }
        guard (0...1_000_000).contains(kitchenCapacity) else { throw ValidationError("--kitchen-capacity: between 0 and 1000000") }
    }

    /// GET or PUT the restaurant's planning override (a management key's right, not the agent token's).
    func planning(_ client: HTTPClient, key: String, put: JSONValue?) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + "/api/planning/config" + (put == nil ? "?restaurantId=\(restaurant)" : ""))
        request.method = put == nil ? .GET : .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let put {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.encoded(JSONValue.object(["restaurantId": .string(restaurant), "config": put]))))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw ValidationError("planning config: HTTP \(response.status.code) \(String(buffer: body))") }
        return try JSONReader.parse(Array(buffer: body))
    }

    /// A progress line, flushed at once: stdout to a pipe is block-buffered, and a script (or a test) waits for it.
    func progress(_ line: String) {
        print(line)
        fflush(nil)
    }

    /// Every answer of the run, kept as it comes so a run stopped half-way still reports what it did.
    actor Tally {
        var latencies: [Duration] = []
        var numbers: [Int] = []
        /// Refusals and errors by `code` (HTTP status or transport error when there is none).
        var refusals: [String: Int] = [:]
        func add(_ elapsed: Duration, number: Int?, refusal: String?) {
            latencies.append(elapsed)
            if let number { numbers.append(number) }
            if let refusal { refusals[refusal, default: 0] += 1 }
        }
        func failedToSend(_ code: String) { refusals[code, default: 0] += 1 }
    }

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))
        // The client is shut down whatever happens (a client dropped without it is a crash, not an error message).
        do {
            try await load(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The run with its HTTP client (shut down here once the orders are over, before the report).
    func load(_ client: HTTPClient) async throws {
        let key = managementKey ?? ProcessInfo.processInfo.environment["ALLORESTO_MANAGEMENT_KEY"]
        var previous: JSONValue?
        // Ctrl-C or SIGTERM stop the run; what it changed is restored and what it did is reported. Caught from
        // before the capacity change, so a signal during it still restores the planning.
        let stop = StopSignals()
        if kitchenCapacity > 0 {
            guard let key, key.hasPrefix("arm_") else {
                stop.restoreDefaults()
                throw ValidationError("--kitchen-capacity needs --management-key arm_… (the agent token cannot change planning); or --kitchen-capacity 0")
            }
            previous = try await planning(client, key: key, put: nil)["override"] ?? .null
            var override = previous?.objectValue ?? [:]
            override["capacity"] = .object(["cuisine": .int(kitchenCapacity), "preparation": .int(kitchenCapacity), "comptoir": .int(kitchenCapacity), "livraison": .int(kitchenCapacity)])
            override["maxShiftMin"] = 240
            _ = try await planning(client, key: key, put: .object(override))
            progress("kitchen capacity set to \(kitchenCapacity) units for the run (restored after, also on Ctrl-C or SIGTERM)")
        }
        let tally = Tally()
        let started = ContinuousClock.now
        var failure: (any Error)?
        let work = Task { try await self.fire(client: client, tally: tally, started: started) }
        stop.onSignal { work.cancel() }
        do { try await work.value } catch is CancellationError {} catch { failure = error }
        let signalled = stop.received
        let total = ContinuousClock.now - started
        if let previous, let key {
            do {
                _ = try await planning(client, key: key, put: previous)
                print("kitchen planning restored")
            } catch {
                print("WARNING: the restaurant's planning could not be restored: \(error). Restore it in the back office (Réglages → planification).")
            }
        }
        try? await client.shutdown()
        stop.restoreDefaults()
        let ok = await report(tally, total: total, interrupted: signalled != nil)
        if let signalled { throw ExitCode(128 + signalled) }
        if let failure { throw failure }
        if !ok { throw ExitCode(1) }
    }

    /// The orders themselves: `concurrency` simulated calls, each ordering again when answered (or on the open-loop
    /// schedule with `--rate`).
    func fire(client: HTTPClient, tally: Tally, started: ContinuousClock.Instant) async throws {
        let url = baseURL + "/api/ai/tools/confirm-order"
        // The time every order asks for: the one check_availability gives now (the next opening when closed), as a
        // call would announce it, so the run does not depend on the restaurant's hours at the time it is made.
        var check = HTTPClientRequest(url: baseURL + "/api/availability/check")
        check.method = .POST
        check.headers.add(name: "Authorization", value: "Bearer \(token)")
        check.headers.add(name: "Content-Type", value: "application/json")
        check.body = .bytes(ByteBuffer(string: #"{"restaurantId":"\#(restaurant)","mode":"pickup","itemCount":1}"#))
        let checked = try JSONReader.parse(Array(buffer: try await client.execute(check, timeout: .seconds(10)).body.collect(upTo: 1 << 20)))
        guard let slot = checked["estimatedTimeISO"]?.stringValue ?? checked["nextAvailableTimeISO"]?.stringValue else {
            throw ValidationError("check_availability gave no time: \(String(decoding: JSONWriter.encoded(checked), as: UTF8.self))")
        }
        progress("orders ask for \(slot) (check_availability's time)")
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var i = worker
                    while i < orders {
                        try Task.checkCancellation()
                        if rate > 0 {
                            // Open loop: order i is due at i / rate seconds, whether or not earlier ones are answered.
                            let dueMs = CheckedNumber.clamped(Double(i) * 1000 / rate, to: 0...Int(Int32.max))
                            try await Task.sleep(until: started + .milliseconds(dueMs), clock: .continuous)
                        }
                        let body = #"{"restaurantId":"\#(restaurant)","order_type":"pickup","items":[{"id":\#(item),"quantity":1}],"call_id":"load-\#(run)-\#(i)","caller_phone":"06\#(String(format: "%08d", i % 100_000_000))","last_availability_check":{"estimatedTimeISO":"\#(slot)"}}"#
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: body))
                        let t0 = ContinuousClock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(30))
                            let data = try await response.body.collect(upTo: 1 << 20)
                            let elapsed = ContinuousClock.now - t0
                            let json = try? JSONReader.parse(Array(buffer: data))
                            var number: Int?
                            if case .int(let n)? = json?["order_number"] { number = n }
                            let refusal = number != nil ? nil : json?["code"]?.stringValue ?? "http_\(response.status.code)"
                            await tally.add(elapsed, number: number, refusal: refusal)
                        } catch {
                            if Task.isCancelled { throw CancellationError() }
                            await tally.failedToSend("transport_error")
                        }
                        i += concurrency
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Prints throughput, latency percentiles, the order numbers' check and the refusals by code; false when the
    /// numbers have a duplicate or a gap, or some orders failed.
    func report(_ tally: Tally, total: Duration, interrupted: Bool) async -> Bool {
        let latencies = await tally.latencies.sorted()
        let numbersRaw = await tally.numbers
        let refusals = await tally.refusals
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        func pct(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return ms(latencies[CheckedNumber.clamped(Double(latencies.count) * p, to: 0...latencies.count - 1)])
        }
        let numbers = numbersRaw.sorted()
        let failed = refusals.values.reduce(0, +)
        let unique = Set(numbers).count
        let contiguous = numbers.isEmpty || numbers.last! - numbers.first! + 1 == numbers.count
        let seconds = max(0.001, ms(total) / 1000)
        if interrupted { print("INTERRUPTED: \(numbers.count + failed) of \(orders) orders sent before the stop") }
        print(String(format: "orders: %d in %.2f s with %d concurrent calls%@ = %.0f orders/s", latencies.count, seconds, concurrency,
                     rate > 0 ? String(format: ", paced at %.0f/s", rate) : ", back to back", Double(latencies.count) / seconds))
        print(String(format: "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f", pct(0.5), pct(0.9), pct(0.99), pct(1.0)))
        print("numbers: \(numbers.first.map(String.init) ?? "-")…\(numbers.last.map(String.init) ?? "-"), \(unique) unique of \(numbers.count), failed \(failed), \(contiguous && unique == numbers.count ? "no duplicate, no gap" : "DUPLICATES OR GAPS")")
        if !refusals.isEmpty {
            print("refused or failed, by code: " + refusals.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return failed == 0 && unique == numbers.count && contiguous
    }
}

/// SIGINT and SIGTERM turned into a callback (the default action, dying on the spot, would leave the restaurant with
/// the run's kitchen capacity): the first one calls `onSignal`'s handler; `received` says which came.
final class StopSignals: @unchecked Sendable {
    // Safe: `state` is only touched under `lock`; the dispatch sources are created and cancelled by the owner.
    private let lock = NSLock()
    private var handler: (@Sendable () -> Void)?
    private var signalled: Int32?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.fire(sig) }
            source.resume()
            sources.append(source)
        }
    }

    func onSignal(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        let already = signalled != nil
        self.handler = handler
        lock.unlock()
        if already { handler() }
    }

    private func fire(_ sig: Int32) {
        lock.lock()
        let first = signalled == nil
        if first { signalled = sig }
        let h = handler
        lock.unlock()
        if first {
            FileHandle.standardError.write(Data("\nstopping: restoring what the run changed…\n".utf8))
            h?()
        }
    }

    var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signalled
    }

    /// Back to the default signal actions (a second Ctrl-C after the report ends the process).
    func restoreDefaults() {
        for s in sources { s.cancel() }
        for sig in [SIGINT, SIGTERM] { signal(sig, SIG_DFL) }
    }
}
