import FluentKit
import Foundation

/// A question callers asked; answered entries feed the prompt.
public final class Faq: Model, @unchecked Sendable {
    public static let schema = "faqs"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "question") public var question: String
    /// Normalized form used to merge questions with the same meaning.
    @Field(key: "question_key") public var questionKey: String
    @OptionalField(key: "answer") public var answer: String?
    @OptionalField(key: "category") public var category: String?
    /// pending|answered|ignored
    @Field(key: "status") public var status: String
    @Field(key: "ask_count") public var askCount: Int
    @OptionalField(key: "last_asked_at") public var lastAskedAt: Date?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}
}

/// A message a caller left for the restaurant.
public final class Message: Model, @unchecked Sendable {
    public static let schema = "messages"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @OptionalField(key: "caller_phone") public var callerPhone: String?
    @OptionalField(key: "caller_name") public var callerName: String?
    @Field(key: "content") public var content: String
    @OptionalField(key: "category") public var category: String?
    @Field(key: "is_urgent") public var isUrgent: Bool
    @Field(key: "is_read") public var isRead: Bool
    @OptionalField(key: "call_id") public var callId: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// A call record received from sip-agent-server's end-of-call webhook.
public final class CallRecord: Model, @unchecked Sendable {
    public static let schema = "calls"

    @ID(key: .id) public var id: UUID?
    @OptionalParent(key: "restaurant_id") public var restaurant: Restaurant?
    @Field(key: "call_id") public var callId: String
    @OptionalField(key: "caller_phone") public var callerPhone: String?
    @OptionalField(key: "started_at") public var startedAt: Date?
    @OptionalField(key: "ended_at") public var endedAt: Date?
    @OptionalField(key: "duration_sec") public var durationSec: Int?
    @OptionalField(key: "outcome") public var outcome: String?
    @OptionalField(key: "input_tokens") public var inputTokens: Int?
    @OptionalField(key: "output_tokens") public var outputTokens: Int?
    @OptionalField(key: "cost_usd") public var costUsd: Double?
    @OptionalField(key: "cost_local") public var costLocal: Double?
    /// The record as received, JSON.
    @Field(key: "payload") public var payload: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}
