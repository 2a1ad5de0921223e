import Foundation
import Testing

/// Paths and loaders shared by steer's test targets.
public enum Fixtures {
    /// The repository root (the folder holding Package.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// A path under `vectors/`.
    public static func vectors(_ relative: String) -> String { root + "/vectors/" + relative }

    /// `../shared/data` beside the checkout, when it is there.
    public static let sharedData: String? = {
        let path = URL(fileURLWithPath: root).deletingLastPathComponent().appendingPathComponent("shared/data").path
        return FileManager.default.fileExists(atPath: path + "/README.md") ? path : nil
    }()

    /// The note shown for tests skipped because `../shared/data` is absent.
    public static let sharedNote = "../shared/data is absent: real-data check on the full files skipped (the subset in vectors/real still runs)"

    /// A path under `../shared/data` (only call when ``sharedData`` is set).
    public static func shared(_ relative: String) -> String { (sharedData ?? "/nonexistent") + "/" + relative }

    /// Parses a JSON file.
    public static func json(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A fresh empty directory under the system temporary directory.
    public static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "steer-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes bytes to a file.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Reads a whole file.
    public static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A reference value that is missing or of the wrong type: the test fails instead of comparing against nothing.
    public struct MissingReference: Error, CustomStringConvertible {
        public let description: String
    }

    /// `root[key]` of a JSON reference file, or a thrown ``MissingReference``.
    public static func reference(_ file: String, _ key: String) throws -> Any {
        guard let root = try json(vectors(file)) as? [String: Any], let value = root[key] else {
            throw MissingReference(description: "vectors/\(file) has no key '\(key)'")
        }
        return value
    }

    /// `value` as `T`, or a thrown ``MissingReference`` naming `what`.
    public static func require<T>(_ value: Any?, as type: T.Type = T.self, _ what: String) throws -> T {
        guard let typed = value as? T else { throw MissingReference(description: "reference '\(what)' is missing or not \(T.self)") }
        return typed
    }

    /// A non-empty list of numbers, or a thrown ``MissingReference``.
    public static func numbers(_ value: Any?, _ what: String) throws -> [Double] {
        let list = try require(value, as: [NSNumber].self, what).map(\.doubleValue)
        guard !list.isEmpty else { throw MissingReference(description: "reference '\(what)' is empty") }
        return list
    }

    /// One number, or a thrown ``MissingReference``.
    public static func number(_ value: Any?, _ what: String) throws -> Double {
        try require(value, as: NSNumber.self, what).doubleValue
    }

    /// A non-empty list of objects, or a thrown ``MissingReference``.
    public static func records(_ value: Any?, _ what: String) throws -> [[String: Any]] {
        let list = try require(value, as: [[String: Any]].self, what)
        guard !list.isEmpty else { throw MissingReference(description: "reference '\(what)' is empty") }
        return list
    }

    /// Two sequences compared element by element: `zip(a, b)` after checking that both hold the
    /// same, non-zero number of elements (a bare `zip` stops at the shorter, so an empty or
    /// truncated result would pass every comparison). Tests compare through this, never a bare `zip`.
    public static func pairs<A: Collection, B: Collection>(_ a: A, _ b: B) throws -> Zip2Sequence<A, B> {
        guard a.count == b.count, !a.isEmpty else {
            throw MissingReference(description: "compared sequences hold \(a.count) and \(b.count) elements; expected the same non-zero count")
        }
        return zip(a, b)
    }

    /// `zip(a, b)` for a comparison that cannot throw (inside a closure, a non-throwing helper): records
    /// a test issue when the two sides hold different numbers of elements, which a bare `zip` would
    /// hide by stopping at the shorter. Tests use this or ``pairs(_:_:)``, never a bare `zip`
    /// (`TestHygieneTests` fails on one).
    public static func zipped<A: Sequence, B: Sequence>(
        _ a: A, _ b: B, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Zip2Sequence<A, B> {
        let (m, n) = (a.reduce(0) { c, _ in c + 1 }, b.reduce(0) { c, _ in c + 1 })
        if m != n { Issue.record("compared sequences hold \(m) and \(n) elements", sourceLocation: sourceLocation) }
        return zip(a, b)
    }

    /// Largest |a − b| over `‖b‖` (absolute when `b` is zero).
    /// Infinite when the lengths differ, so a mismatch fails the comparison instead of trapping.
    public static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        let scale = b.map { $0 * $0 }.reduce(0, +).squareRoot()
        return scale > 0 ? diff / scale : diff
    }
}

/// One case of vectors/synthetic/expected.json or vectors/real/expected.json.
public struct ExpectedLayer {
    public let layer: Int
    public let norm: Double
    public let auroc: Double
    public let cohenD: Double
    public let accuracy: Double
    public let degenerate: Bool
    private let storedDiff: [Double]?

    /// The reference difference vector; throws when this case has none (the full-file cases keep only metrics).
    public var diff: [Double] {
        get throws {
            guard let storedDiff else { throw Fixtures.MissingReference(description: "layer \(layer) has no 'diff' in the reference") }
            return storedDiff
        }
    }

    public init(_ object: Any) throws {
        let dict = try Fixtures.require(object, as: [String: Any].self, "layer record")
        layer = Int(try Fixtures.number(dict["layer"], "layer"))
        norm = try Fixtures.number(dict["norm"], "norm")
        auroc = try Fixtures.number(dict["auroc"], "auroc")
        cohenD = try Fixtures.number(dict["cohen_d"], "cohen_d")
        accuracy = try Fixtures.number(dict["accuracy"], "accuracy")
        degenerate = try Fixtures.require(dict["degenerate"], as: Bool.self, "degenerate")
        storedDiff = dict["diff"] == nil ? nil : try Fixtures.numbers(dict["diff"], "diff")
    }

    /// The synthetic case `name` at `position`; throws when the reference lacks it.
    public static func synthetic(_ name: String, position: Int) throws -> [ExpectedLayer] {
        let cases = try Fixtures.require(Fixtures.reference("synthetic/expected.json", "cases"), as: [String: Any].self, "cases")
        let byPosition = try Fixtures.require(cases[name], as: [String: Any].self, name)
        let entry = try Fixtures.require(byPosition[String(position)] ?? cases[name], as: [String: Any].self, "\(name)/\(position)")
        let layers = try Fixtures.require(entry["layers"], as: [Any].self, "\(name) layers")
        guard !layers.isEmpty else { throw Fixtures.MissingReference(description: "\(name): no layers") }
        return try layers.map(ExpectedLayer.init)
    }

    /// A real-data case from vectors/real/expected.json; throws when the reference lacks it.
    public static func real(_ name: String) throws -> [ExpectedLayer] {
        let layers = try Fixtures.require(Fixtures.reference("real/expected.json", name), as: [Any].self, name)
        guard !layers.isEmpty else { throw Fixtures.MissingReference(description: "\(name): no layers") }
        return try layers.map(ExpectedLayer.init)
    }
}

/// A small deterministic generator (SplitMix64) for fuzzing in tests.
public struct SplitMix {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
