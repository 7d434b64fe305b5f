import AlloRestoCore
import Foundation
import Hummingbird
import NIOCore

/// Every JSON answer of the server is built here — the one response encoder: `application/json; charset=utf-8`,
/// `Cache-Control: no-store`, keys sorted, ISO 8601 dates. Business refusals of the tools are HTTP 200
/// `{success:false, error, code}` so the voice server hands the sentence to the model, which says it to the caller.
enum ToolResponse {
    /// The headers of every JSON answer (plus `extra`, e.g. `WWW-Authenticate`).
    static func headers(_ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.cacheControl] = "no-store"
        return fields
    }

    /// The encoder of `Encodable` answers.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        bytes(Array(try encoder().encode(value)), status: status, headers: extra)
    }

    /// JSON text sent as it is (a first answer recorded as sent, before typed outcomes).
    static func raw(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: headers(), body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// JSON already written (`JSONWriter`, a cached document).
    static func bytes(_ json: [UInt8], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        Response(status: status, headers: headers(extra), body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// A JSON value written as is (keys sorted by the writer).
    static func value(_ v: JSONValue, status: HTTPResponse.Status = .ok) -> Response { bytes(JSONWriter.encoded(v), status: status) }

    struct RefusalBody: Encodable {
        let success = false
        let error: String
        let code: String
    }

    static func refusal(_ r: Refusal) throws -> Response { try json(RefusalBody(error: r.message, code: r.code)) }
}
