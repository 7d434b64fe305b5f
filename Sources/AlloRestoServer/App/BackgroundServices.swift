import AlloRestoStore
import Foundation
import Logging
import ServiceLifecycle

/// The work `serve` does beside answering requests, as swift-service-lifecycle services run by the application's
/// service group (started with the server, stopped on SIGTERM/SIGINT with it): the provisioning catch-up, the
/// exchange-rate refresh and the housekeeping sweep. Each never touches a request's path.
public func backgroundServices(_ services: AppServices) -> [any Service] {
    var list: [any Service] = [HousekeepingService(services: services, every: .seconds(3600))]
    if let queue = services.provisioning { list.append(ProvisioningCatchUp(queue: queue, every: .seconds(300), logger: services.logger)) }
    if let url = services.configuration.exchangeRateURL {
        list.append(ExchangeRateRefresh(book: services.exchangeRates, url: url, every: services.configuration.exchangeRateRefresh, logger: services.logger))
    }
    return list
}

/// Runs `body` now and then every `interval` until the service group shuts down (a shutdown also cancels a turn
/// in progress); a failure is logged and waits for the next turn.
func repeatUntilShutdown(every interval: Duration, _ what: String, logger: Logger, _ body: @escaping @Sendable () async throws -> Void) async {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
        do {
            try await cancelWhenGracefulShutdown { try await body() }
        } catch where !(error is CancellationError) {
            logger.warning("background work failed; next turn as planned", metadata: ["work": "\(what)", "error": "\(error)"])
        } catch {}
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
    }
}

/// Restaurants whose agent is missing or differs from what was last sent (created or changed while
/// sip-agent-server was down) are caught up at start and every `every`; the check is against the database, so
/// replicas agree and only one sends (a lease per restaurant).
struct ProvisioningCatchUp: Service {
    let queue: ProvisioningQueue
    let every: Duration
    let logger: Logger
    func run() async throws { await repeatUntilShutdown(every: every, "provisioning catch-up", logger: logger) { try await queue.catchUp() } }
}

/// The USD → local currency table `/api/ai` reports, refreshed from `url` (a failure keeps the current table).
struct ExchangeRateRefresh: Service {
    let book: ExchangeRateBook
    let url: String
    let every: Duration
    let logger: Logger
    func run() async throws {
        let book = book, url = url, logger = logger
        await repeatUntilShutdown(every: every, "exchange rates", logger: logger) { _ = await book.refresh(from: url, logger: logger) }
    }
}

/// `Housekeeping.sweep` at start and every `every`, logged when it deleted something.
struct HousekeepingService: Service {
    let services: AppServices
    let every: Duration
    func run() async throws {
        let services = services
        await repeatUntilShutdown(every: every, "housekeeping", logger: services.logger) {
            let swept = try await Housekeeping.sweep(now: services.now(), on: services.database.db)
            if swept.total > 0 {
                services.logger.info("housekeeping", metadata: [
                    "idempotencyAnswers": "\(swept.idempotencyAnswers)", "sessions": "\(swept.sessions)", "links": "\(swept.links)",
                ])
            }
        }
    }
}
