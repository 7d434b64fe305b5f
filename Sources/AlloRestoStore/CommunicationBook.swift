import AlloRestoCore
import FluentKit
import Foundation

/// What callers leave for the restaurant: questions (`log_new_faq`, answered in the back office and then part of
/// the prompt) and messages (`leave_message`, the restaurant's inbox).
public enum CommunicationBook {
    // MARK: Questions

    /// A question counted, as `log_new_faq` words it and the idempotency ledger keeps it (version 1): the
    /// restaurant's answer when it has one, and how many times it was asked.
    public struct Asked: Codable, Sendable, Equatable {
        public var answer: String?
        public var askCount: Int
    }

    /// Counts a caller's question once per call (`keys`, `IdempotencyLedger`): the one of the same meaning (`key`,
    /// `FaqKey`) is asked once more, else a new pending one is created. A repeat gets the first result.
    public static func askOnce(
        restaurantId: UUID, question: String, key: String, category: String?, now: Date, keys: [String], on db: any Database
    ) async throws -> Recorded<Asked> {
        let written: Written<Recorded<Asked>, Never> = try await IdempotencyLedger.once(keys: keys, restaurantId: restaurantId, tool: .logNewFaq, on: db) { tx in
            let faq = try await ask(restaurantId: restaurantId, question: question, key: key, category: category, now: now, on: tx)
            return .kept(Asked(answer: faq.status == "answered" ? faq.answer : nil, askCount: faq.askCount))
        }
        switch written {
        case .kept(let recorded): return recorded
        }
    }

    static func ask(restaurantId: UUID, question: String, key: String, category: String?, now: Date, on tx: any Database) async throws -> Faq {
        let existing = try await Faq.query(on: tx).filter(\.$restaurant.$id == restaurantId).filter(\.$questionKey == key).first()
        let faq = existing ?? Faq()
        if existing == nil {
            faq.$restaurant.id = restaurantId
            faq.question = question
            faq.questionKey = key
            faq.category = category
            faq.status = "pending"
            faq.askCount = 0
        }
        faq.askCount += 1
        faq.lastAskedAt = now
        try await faq.save(on: tx)
        return faq
    }

    /// The restaurant's questions, most asked first (`status` narrows: pending, answered, ignored).
    public static func questions(restaurantId: UUID, status: String?, on db: any Database) async throws -> [Faq] {
        var query = Faq.query(on: db).filter(\.$restaurant.$id == restaurantId)
        if let status { query = query.filter(\.$status == status) }
        return try await query.sort(\.$askCount, .descending).sort(\.$lastAskedAt, .descending).all()
    }

    /// One of the restaurant's questions.
    public static func question(_ id: UUID?, restaurantId: UUID, on db: any Database) async throws -> Faq? {
        try await Faq.find(id, ownedBy: restaurantId, on: db)
    }

    /// Saves an edited question and bumps the restaurant's version (answers are in the prompt: every replica's
    /// next call sees them). `false` when another question already has this meaning.
    public static func saveQuestion(_ faq: Faq, restaurantId: UUID, on db: any Database) async throws -> Bool {
        do {
            try await db.transaction { tx in
                try await faq.save(on: tx)
                try await RestaurantVersion.bump(restaurantId, on: tx)
            }
            return true
        } catch {
            guard (error as? any DatabaseError)?.isConstraintFailure == true else { throw error }
            return false
        }
    }

    /// Deletes a question (and bumps the restaurant's version, as `saveQuestion`).
    public static func deleteQuestion(_ faq: Faq, restaurantId: UUID, on db: any Database) async throws {
        try await db.transaction { tx in
            try await faq.delete(on: tx)
            try await RestaurantVersion.bump(restaurantId, on: tx)
        }
    }

    // MARK: Messages

    /// What a caller leaves for the team.
    public struct Note: Sendable {
        public var content: String
        public var callerPhone: String?
        public var callerName: String?
        public var category: String?
        public var isUrgent: Bool
        public var callId: String?
        public init(content: String, callerPhone: String?, callerName: String?, category: String?, isUrgent: Bool, callId: String?) {
            self.content = content
            self.callerPhone = callerPhone
            self.callerName = callerName
            self.category = category
            self.isUrgent = isUrgent
            self.callId = callId
        }
    }

    /// A message left, as `leave_message` words it and the idempotency ledger keeps it (version 1).
    public struct Left: Codable, Sendable, Equatable {
        public var id: UUID
        public var isUrgent: Bool
    }

    /// Stores a caller's message, unread, once per call (`keys`, `IdempotencyLedger`): a repeat gets the first result.
    public static func leaveOnce(_ note: Note, restaurantId: UUID, keys: [String], on db: any Database) async throws -> Recorded<Left> {
        let written: Written<Recorded<Left>, Never> = try await IdempotencyLedger.once(keys: keys, restaurantId: restaurantId, tool: .leaveMessage, on: db) { tx in
            let m = try await leave(note, restaurantId: restaurantId, on: tx)
            return .kept(Left(id: m.id!, isUrgent: m.isUrgent))
        }
        switch written {
        case .kept(let recorded): return recorded
        }
    }

    static func leave(_ note: Note, restaurantId: UUID, on tx: any Database) async throws -> Message {
        let m = Message()
        m.$restaurant.id = restaurantId
        m.callerPhone = note.callerPhone
        m.callerName = note.callerName
        m.content = note.content
        m.category = note.category
        m.isUrgent = note.isUrgent
        m.isRead = false
        m.callId = note.callId
        try await m.create(on: tx)
        return m
    }

    /// The inbox: unread first, then urgent, newest first; at most 500.
    public static func messages(restaurantId: UUID, unreadOnly: Bool, on db: any Database) async throws -> [Message] {
        var query = Message.query(on: db).filter(\.$restaurant.$id == restaurantId)
        if unreadOnly { query = query.filter(\.$isRead == false) }
        return try await query.sort(\.$isRead).sort(\.$isUrgent, .descending).sort(\.$createdAt, .descending).limit(500).all()
    }

    /// The back office's message list: unread first, newest first; at most 200.
    public static func inbox(restaurantId: UUID, on db: any Database) async throws -> [Message] {
        try await Message.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$isRead).sort(\.$createdAt, .descending).limit(200).all()
    }

    /// One of the restaurant's messages.
    public static func message(_ id: UUID?, restaurantId: UUID, on db: any Database) async throws -> Message? {
        try await Message.find(id, ownedBy: restaurantId, on: db)
    }

    /// Saves a message's read/urgent flags.
    public static func saveMessage(_ m: Message, on db: any Database) async throws { try await m.save(on: db) }

    /// Deletes a message.
    public static func deleteMessage(_ m: Message, on db: any Database) async throws { try await m.delete(on: db) }
}
