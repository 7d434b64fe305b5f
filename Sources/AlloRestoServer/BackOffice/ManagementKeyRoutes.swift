import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// A restaurant's management keys, for its scripts and tools (README "Security"): listed, created (the key is
/// shown once, in the creation answer) and revoked by a logged-in admin only — a key cannot mint keys.
///
/// - `GET /api/management-keys?restaurantId=` → `{success, keys: [{id, label, prefix, createdBy, createdAt,
///   revokedAt}]}`
/// - `POST /api/management-keys {restaurantId, label}` → 201 `{success, key: "arm_…", managementKey: {…}}`
/// - `DELETE /api/management-keys {restaurantId, id}` → `{success, revoked: true}`; 404 for another restaurant's key.
struct ManagementKeyRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        let admin = router.group().add(middleware: AdminGuard(services: services))
        admin.get("/api/management-keys") { request, context in try await self.list(request, context: context) }
        admin.post("/api/management-keys") { request, context in try await self.create(request, context: context) }
        admin.delete("/api/management-keys") { request, context in try await self.revoke(request, context: context) }
    }

    /// The restaurant whose keys are managed: the account must be allowed its secrets (a platform admin, or its
    /// owner); 403 otherwise.
    func restaurantId(_ raw: String?, _ context: AppContext) async throws -> UUID {
        let text = try ToolAuth.restaurantId(raw)
        guard let id = UUID(uuidString: text), try await Reports.restaurant(id, on: services.database.db) != nil else {
            throw APIError.notFound("restaurant_not_found", "Restaurant inconnu.")
        }
        guard let manager = context.manager, manager.allows(.manageSecrets, on: id) else {
            throw Manager.denied(context.manager ?? .key(restaurantId: UUID()), .manageSecrets, reachable: context.manager?.reaches(id) ?? false)
        }
        return id
    }

    static func json(_ k: ManagementKeys.Listed) -> JSONValue {
        func date(_ d: Date?) -> JSONValue { d.map { .string($0.formatted(.iso8601)) } ?? .null }
        return .object([
            "id": .string(k.id.uuidString.lowercased()), "label": .string(k.label), "prefix": .string(k.prefix),
            "createdBy": k.createdBy.map(JSONValue.string) ?? .null, "createdAt": date(k.createdAt), "revokedAt": date(k.revokedAt),
        ])
    }

    func list(_ request: Request, context: AppContext) async throws -> Response {
        let id = try await restaurantId(request.uri.queryParameters["restaurantId"].map(String.init), context)
        let keys = try await ManagementKeys.list(for: id, on: services.database.db)
        return ToolResponse.value(.object(["success": true, "keys": .array(keys.map(Self.json))]))
    }

    func create(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let id = try await restaurantId(body.string("restaurantId", "restaurant_id"), context)
        guard let label = body.string("label"), label.count <= 100 else { throw ToolBody.invalid("label", "un nom de 100 caractères au plus (ex. « script de caisse »)") }
        let (listed, key) = try await ManagementKeys.create(for: id, label: label, createdBy: context.admin?.email, on: services.database.db)
        context.logger.notice("management key created", metadata: ["restaurant": "\(id)", "prefix": "\(listed.prefix)"])
        await services.audit(id, by: context.admin?.email ?? "?", "key.create", "clé de gestion créée : « \(label) » (\(listed.prefix)…)")
        return ToolResponse.value(.object(["success": true, "key": .string(key), "managementKey": Self.json(listed)]), status: .created)
    }

    func revoke(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let rid = try await restaurantId(body.string("restaurantId", "restaurant_id") ?? request.uri.queryParameters["restaurantId"].map(String.init), context)
        guard let keyId = try body.uuid("id") else { throw ToolBody.invalid("id", "l'identifiant de la clé") }
        guard try await ManagementKeys.revoke(keyId, of: rid, now: services.now(), on: services.database.db) else {
            throw APIError.notFound("key_not_found", "Clé introuvable pour ce restaurant.")
        }
        await services.audit(rid, by: context.admin?.email ?? "?", "key.revoke", "clé de gestion révoquée")
        return ToolResponse.value(.object(["success": true, "revoked": true]))
    }
}
