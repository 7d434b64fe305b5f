import FluentKit
import SQLKit

/// The schema, in order. Column types are the portable subset shared by SQLite and PostgreSQL; JSON documents are
/// stored as text so both databases read them the same way.
public enum AlloRestoMigrations {
    public static var all: [any Migration] {
        [CreateRestaurants(), CreateMenu(), CreateCustomersAndOrders(), CreateReservations(), CreateCommunication(),
         CreateAccess(), CreatePlatform(), CreateIndexes(), CreatePlanningIndexes(), AddSealedAgentToken(), CreateKitchenBookings(),
         CreateManagementKeys(), CreateSipAgentLinks(), CreateMembersTokensAndAudit(), AddClosuresAndOrderPause()]
    }
}

private func restaurantRef(_ b: SchemaBuilder) -> SchemaBuilder {
    b.field("restaurant_id", .uuid, .required, .references("restaurants", "id", onDelete: .cascade))
}

struct CreateRestaurants: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema("restaurants")
            .id()
            .field("name", .string, .required)
            .field("cuisine_type", .string)
            .field("address", .string)
            .field("city", .string)
            .field("postal_code", .string)
            .field("country", .string, .required)
            .field("phone", .string)
            .field("email", .string)
            .field("website", .string)
            .field("lat", .double)
            .field("lng", .double)
            .field("timezone", .string, .required)
            .field("currency", .string, .required)
            .field("default_locale", .string, .required)
            .field("opening_hours", .string, .required)
            .field("ai_voice", .string, .required)
            .field("ai_instructions", .string)
            .field("welcome_message", .string)
            .field("payment_methods", .string, .required)
            .field("delivery_enabled", .bool, .required)
            .field("delivery_radius_km", .double)
            .field("delivery_fee", .int64, .required)
            .field("delivery_free_above", .int64)
            .field("min_order_amount", .int64, .required)
            .field("avg_prep_time_min", .int64, .required)
            .field("reservation_enabled", .bool, .required)
            .field("total_seats", .int64)
            .field("avg_meal_duration_min", .int64, .required)
            .field("min_reservation_advance_min", .int64, .required)
            .field("max_reservation_advance_days", .int64, .required)
            .field("order_status_enabled", .bool, .required)
            .field("transfer_enabled", .bool, .required)
            .field("transfer_phone_number", .string)
            .field("transfer_automatic", .bool, .required)
            .field("transfer_cases", .string, .required)
            .field("ai_cost_margin_pct", .double)
            .field("planning_config", .string)
            .field("agent_id", .string)
            .field("external_ref", .string)
            .field("is_active", .bool, .required)
            .field("version", .int64, .required)
            .field("last_order_number", .int64, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "external_ref")
            .create()
    }

    func revert(on db: Database) async throws { try await db.schema("restaurants").delete() }
}

struct CreateMenu: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await restaurantRef(db.schema("menu_categories").id())
            .field("ref", .string)
            .field("name", .string, .required)
            .field("description", .string)
            .field("display_order", .int64, .required)
            .field("is_active", .bool, .required)
            .create()
        try await restaurantRef(db.schema("menu_items").id())
            .field("category_id", .uuid, .references("menu_categories", "id", onDelete: .setNull))
            .field("ref", .string)
            .field("name", .string, .required)
            .field("description", .string)
            .field("price", .int64, .required)
            .field("allergens", .string, .required)
            .field("tags", .string, .required)
            .field("is_available", .bool, .required)
            .field("display_order", .int64, .required)
            .field("options", .string, .required)
            .create()
    }

    func revert(on db: Database) async throws {
        try await db.schema("menu_items").delete()
        try await db.schema("menu_categories").delete()
    }
}

struct CreateCustomersAndOrders: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await restaurantRef(db.schema("customers").id())
            .field("phone", .string, .required)
            .field("first_name", .string)
            .field("delivery_address", .string)
            .field("delivery_city", .string)
            .field("delivery_postal_code", .string)
            .field("delivery_lat", .double)
            .field("delivery_lng", .double)
            .field("delivery_notes", .string)
            .field("total_orders", .int64, .required)
            .field("total_spent", .int64, .required)
            .field("last_order_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "restaurant_id", "phone")
            .create()
        try await restaurantRef(db.schema("orders").id())
            .field("customer_id", .uuid, .references("customers", "id", onDelete: .setNull))
            .field("order_number", .int64, .required)
            .field("status", .string, .required)
            .field("order_type", .string, .required)
            .field("subtotal", .int64, .required)
            .field("delivery_fee", .int64, .required)
            .field("total", .int64, .required)
            .field("customer_name", .string)
            .field("customer_phone", .string)
            .field("delivery_address", .string)
            .field("delivery_lat", .double)
            .field("delivery_lng", .double)
            .field("delivery_distance_km", .double)
            .field("payment_method", .string)
            .field("notes", .string)
            .field("source", .string, .required)
            .field("call_id", .string)
            .field("estimated_ready_at", .datetime)
            .field("cook_start_at", .datetime)
            .field("handoff_at", .datetime)
            .field("order_size", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "restaurant_id", "order_number")
            .create()
        try await db.schema("order_items").id()
            .field("order_id", .uuid, .required, .references("orders", "id", onDelete: .cascade))
            .field("menu_item_id", .uuid)
            .field("name", .string, .required)
            .field("quantity", .int64, .required)
            .field("unit_price", .int64, .required)
            .field("total_price", .int64, .required)
            .field("selected_options", .string, .required)
            .field("notes", .string)
            .create()
    }

    func revert(on db: Database) async throws {
        for t in ["order_items", "orders", "customers"] { try await db.schema(t).delete() }
    }
}

struct CreateReservations: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await restaurantRef(db.schema("dining_services").id())
            .field("name", .string, .required)
            .field("days_of_week", .string, .required)
            .field("start_time", .string, .required)
            .field("end_time", .string, .required)
            .field("last_seating_time", .string)
            .field("max_covers", .int64, .required)
            .field("default_duration_min", .int64, .required)
            .field("is_active", .bool, .required)
            .field("is_private", .bool, .required)
            .field("prepayment_required", .bool, .required)
            .field("prepayment_amount", .int64)
            .create()
        try await restaurantRef(db.schema("offers").id())
            .field("name", .string, .required)
            .field("description", .string)
            .field("kind", .string, .required)
            .field("price", .int64)
            .field("min_party_size", .int64)
            .field("max_party_size", .int64)
            .field("valid_from", .string)
            .field("valid_to", .string)
            .field("is_active", .bool, .required)
            .create()
        try await restaurantRef(db.schema("rooms").id())
            .field("name", .string, .required)
            .field("display_order", .int64, .required)
            .create()
        try await restaurantRef(db.schema("dining_tables").id())
            .field("room_id", .uuid, .references("rooms", "id", onDelete: .setNull))
            .field("label", .string, .required)
            .field("seats", .int64, .required)
            .field("is_active", .bool, .required)
            .create()
        try await restaurantRef(db.schema("reservations").id())
            .field("customer_id", .uuid, .references("customers", "id", onDelete: .setNull))
            .field("customer_name", .string)
            .field("customer_phone", .string)
            .field("party_size", .int64, .required)
            .field("reservation_time", .datetime, .required)
            .field("end_time", .datetime, .required)
            .field("status", .string, .required)
            .field("seating_preference", .string)
            .field("service_id", .uuid, .references("dining_services", "id", onDelete: .setNull))
            .field("offer_id", .uuid, .references("offers", "id", onDelete: .setNull))
            .field("table_id", .uuid, .references("dining_tables", "id", onDelete: .setNull))
            .field("notes", .string)
            .field("call_id", .string)
            .field("source", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
    }

    func revert(on db: Database) async throws {
        for t in ["reservations", "dining_tables", "rooms", "offers", "dining_services"] { try await db.schema(t).delete() }
    }
}

struct CreateCommunication: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await restaurantRef(db.schema("faqs").id())
            .field("question", .string, .required)
            .field("question_key", .string, .required)
            .field("answer", .string)
            .field("category", .string)
            .field("status", .string, .required)
            .field("ask_count", .int64, .required)
            .field("last_asked_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "restaurant_id", "question_key")
            .create()
        try await restaurantRef(db.schema("messages").id())
            .field("caller_phone", .string)
            .field("caller_name", .string)
            .field("content", .string, .required)
            .field("category", .string)
            .field("is_urgent", .bool, .required)
            .field("is_read", .bool, .required)
            .field("call_id", .string)
            .field("created_at", .datetime)
            .create()
        try await db.schema("calls").id()
            .field("restaurant_id", .uuid, .references("restaurants", "id", onDelete: .setNull))
            .field("call_id", .string, .required)
            .field("caller_phone", .string)
            .field("started_at", .datetime)
            .field("ended_at", .datetime)
            .field("duration_sec", .int64)
            .field("outcome", .string)
            .field("input_tokens", .int64)
            .field("output_tokens", .int64)
            .field("cost_usd", .double)
            .field("cost_local", .double)
            .field("payload", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "call_id")
            .create()
    }

    func revert(on db: Database) async throws {
        for t in ["calls", "messages", "faqs"] { try await db.schema(t).delete() }
    }
}

struct CreateAccess: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await restaurantRef(db.schema("phone_lines").id())
            .field("sip_domain", .string, .required)
            .field("sip_username", .string, .required)
            .field("sip_password", .string, .required)
            .field("is_active", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await restaurantRef(db.schema("blocked_phones").id())
            .field("phone", .string, .required)
            .field("reason", .string)
            .field("created_at", .datetime)
            .unique(on: "restaurant_id", "phone")
            .create()
        try await restaurantRef(db.schema("agent_tokens").id())
            .field("token_hash", .string, .required)
            .field("token_prefix", .string, .required)
            .field("revoked_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await db.schema("admin_users").id()
            .field("email", .string, .required)
            .field("password_hash", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "email")
            .create()
        try await db.schema("admin_sessions").id()
            .field("user_id", .uuid, .required, .references("admin_users", "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on db: Database) async throws {
        for t in ["admin_sessions", "admin_users", "agent_tokens", "blocked_phones", "phone_lines"] { try await db.schema(t).delete() }
    }
}

struct CreatePlatform: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema("pricing_configs").id()
            .field("default_margin_pct", .double, .required)
            .field("model_rates", .string, .required)
            .field("updated_at", .datetime)
            .create()
        try await restaurantRef(db.schema("idempotency_keys").id())
            .field("key", .string, .required)
            .field("tool", .string, .required)
            .field("response", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "key")
            .create()
        try await restaurantRef(db.schema("external_loads").id())
            .field("kind", .string, .required)
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .field("load", .string, .required)
            .field("notes", .string)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on db: Database) async throws {
        for t in ["external_loads", "idempotency_keys", "pricing_configs"] { try await db.schema(t).delete() }
    }
}

/// A migration that creates plain SQL indexes (FluentKit's schema builder has no index API; this syntax is
/// shared by SQLite and PostgreSQL).
protocol IndexMigration: AsyncMigration {
    static var indexes: [(name: String, table: String, columns: String)] { get }
}

extension IndexMigration {
    func prepare(on db: Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for i in Self.indexes {
            try await sql.raw("CREATE INDEX IF NOT EXISTS \(unsafeRaw: i.name) ON \(unsafeRaw: i.table) (\(unsafeRaw: i.columns))").run()
        }
    }

    func revert(on db: Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for i in Self.indexes { try await sql.raw("DROP INDEX IF EXISTS \(unsafeRaw: i.name)").run() }
    }
}

/// Indexes for the lookups made while a caller waits (by phone, by customer, by order) and by the back office.
struct CreateIndexes: IndexMigration {
    static let indexes: [(name: String, table: String, columns: String)] = [
        ("idx_orders_customer_created", "orders", "customer_id, created_at"),
        ("idx_orders_restaurant_created", "orders", "restaurant_id, created_at"),
        ("idx_orders_restaurant_phone", "orders", "restaurant_id, customer_phone"),
        ("idx_order_items_order", "order_items", "order_id"),
        ("idx_menu_items_restaurant", "menu_items", "restaurant_id"),
        ("idx_menu_categories_restaurant", "menu_categories", "restaurant_id"),
        ("idx_reservations_restaurant_time", "reservations", "restaurant_id, reservation_time"),
        ("idx_reservations_restaurant_phone", "reservations", "restaurant_id, customer_phone"),
        ("idx_messages_restaurant_created", "messages", "restaurant_id, created_at"),
        ("idx_phone_lines_restaurant", "phone_lines", "restaurant_id"),
        ("idx_agent_tokens_restaurant", "agent_tokens", "restaurant_id"),
        ("idx_calls_restaurant_created", "calls", "restaurant_id, created_at"),
        ("idx_idempotency_created", "idempotency_keys", "created_at"),
        ("idx_external_loads_restaurant_start", "external_loads", "restaurant_id, starts_at"),
    ]
}

/// The kitchen timeline reads the orders still to be made by cook start.
struct CreatePlanningIndexes: IndexMigration {
    static let indexes: [(name: String, table: String, columns: String)] = [
        ("idx_orders_restaurant_cook", "orders", "restaurant_id, cook_start_at"),
        ("idx_reservations_restaurant_end", "reservations", "restaurant_id, end_time"),
    ]
}

/// The agent token that provisioning writes into sip-agent-server (ToolConfig headers, session URL) must be sent
/// again on every run, so that one is also kept encrypted (AES-GCM with the master key), never in clear.
struct AddSealedAgentToken: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema("agent_tokens").field("sealed_token", .string).update()
    }

    func revert(on db: Database) async throws {
        try await db.schema("agent_tokens").deleteField("sealed_token").update()
    }
}

/// The kitchen timeline's bookings kept aggregated (one row per identical booking with its count), maintained in
/// the transactions that write an order or move it out of the active statuses, so planning an order reads a few
/// rows per slot instead of scanning every active order.
struct CreateKitchenBookings: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema("kitchen_bookings")
            .field("restaurant_id", .uuid, .required, .references("restaurants", "id", onDelete: .cascade))
            .field("order_type", .string, .required)
            .field("order_size", .string, .required)
            .field("cook_start_at", .datetime, .required)
            .field("handoff_at", .datetime, .required)
            .field("ready_at", .datetime, .required)
            .field("n", .int64, .required)
            .unique(on: "restaurant_id", "order_type", "order_size", "cook_start_at", "handoff_at", "ready_at")
            .create()
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("CREATE INDEX IF NOT EXISTS idx_kitchen_bookings_restaurant_cook ON kitchen_bookings (restaurant_id, cook_start_at)").run()
        // Nothing scans orders by cook start any more: one index less to write per order.
        try await sql.raw("DROP INDEX IF EXISTS idx_orders_restaurant_cook").run()
        // The orders already in the kitchen. Written out as they were when this migration was made (a migration
        // never reads live code: changing the kitchen's Store code later must not rewrite history).
        try await sql.raw("""
            INSERT INTO kitchen_bookings (restaurant_id, order_type, order_size, cook_start_at, handoff_at, ready_at, n)
            SELECT restaurant_id, order_type, COALESCE(order_size, 'M'), cook_start_at,
                   COALESCE(handoff_at, estimated_ready_at, cook_start_at), COALESCE(estimated_ready_at, cook_start_at), COUNT(*)
            FROM orders
            WHERE status IN ('pending', 'confirmed', 'preparing', 'ready', 'delivering') AND cook_start_at IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5, 6
            """).run()
    }

    func revert(on db: Database) async throws {
        try await db.schema("kitchen_bookings").delete()
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("CREATE INDEX IF NOT EXISTS idx_orders_restaurant_cook ON orders (restaurant_id, cook_start_at)").run()
    }
}

/// Restaurant-scoped management keys (`arm_…`, stored as SHA-256): what scripts and tools use instead of a person's
/// cookie or the voice agent's token.
struct CreateManagementKeys: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await restaurantRef(db.schema("management_keys").id())
            .field("key_hash", .string, .required)
            .field("key_prefix", .string, .required)
            .field("label", .string, .required)
            .field("created_by", .string)
            .field("revoked_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "key_hash")
            .create()
    }

    func revert(on db: Database) async throws {
        try await db.schema("management_keys").delete()
    }
}

/// What provisioning created for a restaurant in sip-agent-server (ids, the agent's own tokens sealed) and the
/// digests of what it last sent; and the leases that let one replica at a time provision (SPEC §7, §12).
struct CreateSipAgentLinks: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await restaurantRef(db.schema("sip_agent_links").id())
            .field("account_id", .string)
            .field("final_customer_id", .string)
            .field("agent_id", .string)
            .field("phone_line_id", .string)
            .field("agent_api_token", .string)
            .field("agent_public_token", .string)
            .field("agent_digest", .string)
            .field("brain_digest", .string)
            .field("line_digest", .string)
            .field("updated_at", .datetime)
            .unique(on: "restaurant_id")
            .create()
        try await db.schema("leases")
            .field("name", .string, .identifier(auto: false))
            .field("owner", .string, .required)
            .field("expires_at", .datetime, .required)
            .create()
    }

    func revert(on db: Database) async throws {
        try await db.schema("leases").delete()
        try await db.schema("sip_agent_links").delete()
    }
}

/// Back-office accounts scoped to restaurants (owners, staff), their single-use e-mail tokens (invitation,
/// password reset, address check: stored as SHA-256) and the audit log. Accounts that existed before are the
/// platform's admins. Self-contained: names and types are written here, not read from the models.
struct CreateMembersTokensAndAudit: AsyncMigration {
    func prepare(on db: Database) async throws {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        // The accounts that exist are the platform's admins; any account made later must say so explicitly.
        try await db.schema("admin_users").field("is_platform_admin", .bool, .required, .sql(.default(false))).update()
        if let sql = db as? any SQLDatabase { try await sql.raw("UPDATE admin_users SET is_platform_admin = \(bind: true)").run() }
        try await db.schema("admin_users").field("email_verified_at", .datetime).update()
        try await db.schema("admin_users").field("password_changed_at", .datetime).update()
        try await db.schema("restaurant_members").id()
            .field("user_id", .uuid, .required, .references("admin_users", "id", onDelete: .cascade))
            .field("restaurant_id", .uuid, .required, .references("restaurants", "id", onDelete: .cascade))
            .field("role", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "user_id", "restaurant_id")
            .create()
        try await db.schema("account_tokens").id()
            .field("kind", .string, .required)
            .field("token_hash", .string, .required)
            .field("email", .string, .required)
            .field("restaurant_id", .uuid, .references("restaurants", "id", onDelete: .cascade))
            .field("role", .string)
            .field("created_by", .string)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
        // No foreign key: the trail outlives what it mentions.
        try await db.schema("audit_entries").id()
            .field("restaurant_id", .uuid)
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("detail", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.raw("CREATE INDEX audit_entries_restaurant_time ON audit_entries (restaurant_id, created_at)").run()
        }
    }

    func revert(on db: Database) async throws {
        for t in ["audit_entries", "account_tokens", "restaurant_members"] { try await db.schema(t).delete() }
        for f in ["password_changed_at", "email_verified_at", "is_platform_admin"] { try await db.schema("admin_users").deleteField(.key(.string(f))).update() }
    }
}

/// Exceptional closures (JSON list of whole local days) and the "no more orders tonight" switch (an instant).
struct AddClosuresAndOrderPause: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema("restaurants").field("closures", .string).update()
        try await db.schema("restaurants").field("orders_paused_until", .datetime).update()
    }

    func revert(on db: Database) async throws {
        try await db.schema("restaurants").deleteField("orders_paused_until").update()
        try await db.schema("restaurants").deleteField("closures").update()
    }
}
