import Foundation
import Hummingbird
import Mustache
import NIOCore

/// Server-rendered pages: Mustache templates bundled as package resources, rendered with HTML escaping.
public struct Pages: Sendable {
    let library: MustacheLibrary

    public static func load() async throws -> Pages {
        guard let dir = Bundle.module.resourceURL?.appendingPathComponent("Templates").path else {
            throw ConfigurationError("templates: the Templates resource folder is missing from the build")
        }
        return Pages(library: try await MustacheLibrary(directory: dir))
    }

    func render(_ name: String, _ data: [String: Any]) -> String {
        library.render(data, withTemplate: name) ?? "<!doctype html><title>AlloResto</title><p>Page indisponible.</p>"
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
