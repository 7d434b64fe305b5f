import Foundation
import Hummingbird
import Mustache
import NIOCore

/// Server-rendered pages: Mustache templates bundled as package resources, rendered with HTML escaping.
public struct Pages: Sendable {
    let library: MustacheLibrary
    /// The pages' scripts (`Templates/assets/*.js`), served from `/assets/NAME.js`: no page has inline script, so
    /// the Content-Security-Policy can forbid it.
    let assets: [String: ByteBuffer]

    public static func load() async throws -> Pages {
        guard let dir = Bundle.module.resourceURL?.appendingPathComponent("Templates").path else {
            throw ConfigurationError("templates: the Templates resource folder is missing from the build")
        }
        var assets: [String: ByteBuffer] = [:]
        let assetDir = URL(fileURLWithPath: dir).appendingPathComponent("assets")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: assetDir.path)) ?? [] where name.hasSuffix(".js") {
            let data = try Data(contentsOf: assetDir.appendingPathComponent(name))
            assets[name] = ByteBuffer(bytes: data)
        }
        return Pages(library: try await MustacheLibrary(directory: dir), assets: assets)
    }

    /// Serves `/assets/NAME.js`.
    func register(on router: Router<AppContext>) {
        router.get("/assets/:file") { _, context -> Response in
            guard let name = context.parameters.get("file"), let body = assets[name] else { throw HTTPError(.notFound) }
            return Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"], body: .init(byteBuffer: body))
        }
    }

    /// Renders a template; the session's CSRF token (when an admin is logged in) is available to every form as
    /// `{{csrf}}`.
    func render(_ name: String, _ data: [String: Any]) -> String {
        var data = data
        if data["csrf"] == nil, let token = CSRF.current { data["csrf"] = token }
        return library.render(data, withTemplate: name) ?? "<!doctype html><title>AlloResto</title><p>Page indisponible.</p>"
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
