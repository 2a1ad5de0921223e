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

/// Writes one line to standard error.
package func standardError(_ line: String) {
    let text = line.hasSuffix("\n") ? line : line + "\n"
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
}
