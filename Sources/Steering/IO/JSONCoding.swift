import Foundation

/// The one JSON encoder steer writes with: sorted keys and unescaped slashes (paths stay
/// readable), pretty-printed for files people read and single-line for `__metadata__` values;
/// `snakeCase` turns Swift's camelCase property names into snake_case keys.
public enum JSONCoding {
    public static func encoder(pretty: Bool = false, snakeCase: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return encoder
    }
}
