import WireFormats

extension JSONValue {
    /// Compact JSON text.
    var text: String { String(decoding: JSONWriter.encoded(self), as: UTF8.self) }
    var string: String? { stringValue }

    static func parse(_ s: String) -> JSONValue? { try? JSONReader.parse(Array(s.utf8)) }
}
