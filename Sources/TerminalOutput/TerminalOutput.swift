// Terminal output shared by the steer and steer-bench executables: tables, numbers, JSON, stderr.
import Foundation
import Steering

#if canImport(Glibc)
    import Glibc
#endif

/// Prints an Encodable value as one JSON object on standard output.
/// With `snakeCase`, Swift's camelCase property names become snake_case keys (`readS` → `read_s`).
package func printJSON<T: Encodable>(snakeCase: Bool = false, _ value: T) throws {
    let data = try JSONCoding.encoder(pretty: true, snakeCase: snakeCase).encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// `text` safe to show on a terminal: every control character (C0, DEL and C1, which start escape
/// sequences, ring the bell or move the cursor) written as Swift spells it, `\u{1b}`; with
/// `keepingLines`, line feeds and tabs stay as they are. Names and metadata come from files, and a
/// file must not be able to send escape sequences to the user's terminal.
package func terminalSafe(_ text: String, keepingLines: Bool = false) -> String {
    func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if keepingLines, scalar == "\n" || scalar == "\t" { return false }
        return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if isControl(scalar) {
            out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
        } else {
            out.append(scalar)
        }
    }
    return String(out)
}

/// A plain text table: numeric columns right-aligned, label columns (`leftAligned`) and
/// the last (notes) column left-aligned.
package struct TextTable {
    package var header: [String]
    package var rows: [[String]] = []
    package var leftAligned: Set<Int> = []

    package init(header: [String], rows: [[String]] = [], leftAligned: Set<Int> = []) {
        self.header = header
        self.rows = rows
        self.leftAligned = leftAligned
    }

    package func render() -> String {
        let header = header.map { terminalSafe($0) }
        let rows = rows.map { $0.map { terminalSafe($0) } }
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            let text = cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, (i < widths.count ? widths[i] : 0) - cell.count))
                return i >= widths.count - 1 ? cell : leftAligned.contains(i) ? cell + pad : pad + cell
            }.joined(separator: "  ")
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

package func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// A byte count for people: 18.6 MB.
package func humanBytes(_ count: Int) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(count)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
}

/// Writes one line to standard error, its control characters shown escaped (``terminalSafe(_:keepingLines:)``).
package func standardError(_ line: String) {
    let text = terminalSafe(line.hasSuffix("\n") ? String(line.dropLast()) : line) + "\n"
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
}
