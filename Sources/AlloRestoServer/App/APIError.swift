import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird
import NIOCore

/// An error answered on the wire as `{success:false, error, code}` with an HTTP status.
/// 4xx for requests the server cannot serve as asked, 5xx only for real faults.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]
    /// The request field at fault, when there is one (`{..., "field": "deliveryRadiusKm"}`): forms show the message
    /// next to it.
    public var field: String?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// 422 naming the field at fault, with a sentence the agent can say.
    public static func field(_ field: String, _ code: String, _ message: String) -> APIError {
        var e = APIError(.unprocessableContent, code: code, message)
        e.field = field
        return e
    }

    /// A requested time or date refused (`RequestedTime.Refused`) on the wire: 422 naming the field, the
    /// sentence from `CallerWording`.
    init(_ refusal: RequestedTime.Refused) {
        self = .field(refusal.field, refusal.code, CallerWording.sentence(refusal.reason))
    }

    public static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code: code, message) }
    public static func unauthorized(_ message: String = "Authentification requise : jeton d'agent manquant ou invalide.") -> APIError {
        APIError(.unauthorized, code: "unauthorized", message, headers: [.wwwAuthenticate: "Bearer"])
    }
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, code: "forbidden", message) }
    public static func notFound(_ code: String, _ message: String) -> APIError { APIError(.notFound, code: code, message) }
    public static func internalFault(_ message: String = "Erreur interne du serveur.") -> APIError {
        APIError(.internalServerError, code: "internal_error", message)
    }

    struct Body: Encodable {
        let success = false
        let error: String
        let code: String
        let field: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try ToolResponse.json(Body(error: message, code: code, field: field), status: status, headers: headers)
    }
}

/// Turns any error escaping a route into the JSON error shape: `APIError` as is, anything else a logged 500
/// whose message reveals nothing internal. A browser asking for a page (GET, `Accept: text/html`, outside `/api`)
/// gets the same error as a French HTML page with a way back instead of JSON.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    let pages: Pages?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return try shaped(e, request, context)
        } catch let e as RequestedTime.Refused {
            return try shaped(APIError(e), request, context)
        } catch let e as HTTPError {
            let code = e.status == .notFound ? "not_found" : e.status.code < 500 ? "bad_request" : "internal_error"
            let message = e.status == .notFound ? "Ressource introuvable." : (e.body ?? e.status.reasonPhrase)
            return try shaped(APIError(e.status, code: code, message), request, context)
        } catch where AlloRestoDatabase.isPoolTimeout(error) {
            // Every database connection stayed busy for the whole wait: an overload, not a fault of this request.
            context.logger.warning("database overloaded: request refused with 503", metadata: ["path": "\(request.uri.path)"])
            return try shaped(APIError(.serviceUnavailable, code: "busy", "Le service est très chargé, réessayez dans un instant.", headers: [.retryAfter: "2"]), request, context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return try shaped(APIError.internalFault(), request, context)
        }
    }

    /// Whether the request is a person's browser opening a page (not a script calling an API).
    static func wantsPage(_ request: Request) -> Bool {
        guard request.method == .get || request.method == .head else { return false }
        let path = request.uri.path
        for prefix in ["/api/", "/api", "/openapi", "/health", "/assets/"] where path == prefix || path.hasPrefix(prefix.hasSuffix("/") ? prefix : prefix + "/") {
            return false
        }
        return (request.headers[.accept] ?? "").contains("text/html")
    }

    func shaped(_ e: APIError, _ request: Request, _ context: Context) throws -> Response {
        guard let pages, Self.wantsPage(request) else { return try e.response(from: request, context: context) }
        let title: String = switch e.status.code {
        case 404: "Page introuvable"
        case 403: "Accès refusé"
        case 400..<500: "Demande refusée"
        default: "Erreur du serveur"
        }
        let message = e.status == .notFound && e.code == "not_found"
            ? "Cette adresse ne correspond à aucune page. Elle a peut-être changé, ou le lien est incomplet." : e.message
        var response = pages.html(pages.render("error", ["title": title, "message": message, "status": Int(e.status.code)]), status: e.status)
        for field in e.headers where field.name != .contentType { response.headers.append(field) }
        return response
    }
}
