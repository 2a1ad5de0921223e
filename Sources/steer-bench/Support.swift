import Foundation
import Steering
import TerminalOutput

#if canImport(Glibc)
    import Glibc
#endif

/// The reference scripts in Benchmarks/ at the package root.
enum Scripts {
    /// The package root these sources were built from.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Benchmarks/ of the package these sources were built from: Sources/steer-bench/ → ../../Benchmarks.
    static let defaultFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Benchmarks").path
}

/// Runs the reference script `name` from `folder` and returns the numbers it prints on its
/// last line (nil when it cannot run or fails: the comparison is then reported as n/a).
func runPython(_ python: String, folder: String, _ name: String, _ arguments: [String]) -> [Double]? {
    let script = folder + "/" + name
    guard FileManager.default.fileExists(atPath: script) else {
        standardError("steer-bench: \(python) comparison skipped: no \(script) (give --scripts)")
        return nil
    }
    do {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = output.split(separator: "\n").last else { return nil }
        return line.split(separator: " ").compactMap { Double($0) }
    } catch {
        standardError("steer-bench: \(python) comparison skipped: \(error)")
        return nil
    }
}

/// Reads whole files with read(2) into one 8 MB buffer, as `cat FILES > /dev/null`: the baseline of "reading the files".
func readFully(_ paths: [String]) throws {
    let size = 8 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
    defer { buffer.deallocate() }
    for path in paths {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SteerError(.io, file: path, "cannot open") }
        defer { close(fd) }
        while retryingInterrupted({ Glibc.read(fd, buffer, size) }) > 0 {}
    }
}

/// Best wall time of `repeat` runs.
func bestTime(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<max(1, repeats) {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
    return best
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

extension Array where Element == UInt8 {
    func write(to path: String) throws { try AtomicFile.write(self, to: path) }
}

/// The bytes of the files directly inside `folder` (a model directory's size).
func directoryBytes(_ folder: String) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: folder).reduce(0) { total, name in
        total + ((try FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? 0)
    }
}
