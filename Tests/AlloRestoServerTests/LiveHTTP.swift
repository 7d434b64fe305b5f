import AlloRestoCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SipAgentServerDouble

/// Real HTTP to a live test server (JSON in, status and JSON out).
enum LiveHTTP {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func call(_ method: HTTPMethod, _ url: String, headers: [String: String] = [:], body: JSONValue? = nil) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body {
            // A JSON body says so, as every real client does (the server refuses an untyped body with a session).
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.encoded(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        let json = bytes.readableBytes == 0 ? JSONValue.null : try JSONReader.parse(Array(buffer: bytes))
        return (Int(response.status.code), json)
    }
}

/// The double's JSON and ours, through their bytes (the double shares no type with the product).
extension JSON {
    init(_ v: JSONValue) { self = JSON.parse(Data(JSONWriter.encoded(v))) ?? .null }
}

extension JSONValue {
    init(_ v: JSON) { self = (try? JSONReader.parse(Array(v.data))) ?? .null }
}
