import Foundation

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

    /// Largest |a − b| over `‖b‖` (absolute when `b` is zero).
    public static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "lengths differ")
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
    public let diff: [Double]

    public init(_ object: Any) {
        let dict = object as? [String: Any] ?? [:]
        layer = (dict["layer"] as? NSNumber)?.intValue ?? -1
        norm = (dict["norm"] as? NSNumber)?.doubleValue ?? .nan
        auroc = (dict["auroc"] as? NSNumber)?.doubleValue ?? .nan
        cohenD = (dict["cohen_d"] as? NSNumber)?.doubleValue ?? .nan
        accuracy = (dict["accuracy"] as? NSNumber)?.doubleValue ?? .nan
        degenerate = (dict["degenerate"] as? Bool) ?? false
        diff = (dict["diff"] as? [NSNumber])?.map(\.doubleValue) ?? []
    }

    /// The synthetic case `name` at `position`.
    public static func synthetic(_ name: String, position: Int) throws -> [ExpectedLayer] {
        let root = try Fixtures.json(Fixtures.vectors("synthetic/expected.json")) as? [String: Any]
        let cases = root?["cases"] as? [String: Any]
        let byPosition = cases?[name] as? [String: Any]
        let entry = (byPosition?[String(position)] ?? cases?[name]) as? [String: Any]
        return (entry?["layers"] as? [Any] ?? []).map(ExpectedLayer.init)
    }

    /// A real-data case from vectors/real/expected.json.
    public static func real(_ name: String) throws -> [ExpectedLayer] {
        let root = try Fixtures.json(Fixtures.vectors("real/expected.json")) as? [String: Any]
        return (root?[name] as? [Any] ?? []).map(ExpectedLayer.init)
    }
}
