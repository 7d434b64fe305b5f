import AlloRestoCore
import Testing

/// The order status machine: the moves the board offers, what the kitchen counts, what a caller may cancel.
@Suite struct OrderStatusTests {
    @Test func movesGoForwardOrToCancelledAndNeverLeaveAnEnd() {
        #expect(OrderStatus.pending.mayMove(to: .confirmed, delivery: false))
        #expect(OrderStatus.preparing.mayMove(to: .cancelled, delivery: false))
        #expect(!OrderStatus.ready.mayMove(to: .preparing, delivery: false), "never backwards")
        #expect(!OrderStatus.delivering.mayMove(to: .cancelled, delivery: true), "out for delivery: only completed")
        #expect(OrderStatus.ready.mayMove(to: .delivering, delivery: true))
        #expect(!OrderStatus.ready.mayMove(to: .delivering, delivery: false), "a pickup never goes out for delivery")
        for end in [OrderStatus.completed, .cancelled] {
            #expect(end.next.isEmpty && !end.isActive)
            #expect(OrderStatus.allCases.allSatisfy { !end.mayMove(to: $0, delivery: true) })
        }
        // Every move goes forward in the kitchen's order.
        for s in OrderStatus.allCases { for t in s.next { #expect(OrderStatus.precedes(s.rawValue, t.rawValue), "\(s) → \(t)") } }
    }

    @Test func activeCancellableAndLabels() {
        #expect(OrderStatus.active == ["pending", "confirmed", "preparing", "ready", "delivering"])
        #expect(OrderStatus.callerCancellable == ["pending", "confirmed"])
        #expect(OrderStatus.label("preparing") == "en préparation" && OrderStatus.label("delivering") == "en cours de livraison")
        #expect(OrderStatus.label("lost") == "lost")
        #expect(OrderStatus.precedes("ready", "completed") && !OrderStatus.precedes("unknown", "pending"))
    }
}
