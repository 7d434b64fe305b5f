import AlloRestoCore
import Foundation
import Hummingbird
import NIOCore

/// JSON answers of the tool endpoints. Business refusals are HTTP 200 `{success:false, error, code}` so the
/// voice server hands the sentence to the model, which says it to the caller.
enum ToolResponse {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return raw(String(decoding: try encoder.encode(value), as: UTF8.self), status: status)
    }

    static func raw(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// A JSON value written as is (keys in insertion order of the dictionary are sorted by the writer).
    static func value(_ v: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encoded(v))))
    }

    struct RefusalBody: Encodable {
        let success = false
        let error: String
        let code: String
    }

    static func refusal(_ r: Refusal) throws -> Response { try json(RefusalBody(error: r.message, code: r.code)) }

    static func encodeString(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
