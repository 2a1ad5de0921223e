import Foundation
import TestSupport
import Testing

/// Every command's help, as a user copies from it: each example command is one line (a `\`
/// continuation or a line of options under it breaks the copy).
@Suite struct HelpExampleTests {
    /// The help of `command` rendered wide (COLUMNS=1000), so that the only line breaks are the
    /// ones written in the help text.
    static func help(_ command: [String]) throws -> String {
        let run = try CLITests.steer(command + ["--help"], shell: "COLUMNS=1000")
        #expect(run.status == 0, "steer \(command.joined(separator: " ")) --help: \(run.stderr)")
        return run.stdout
    }

    /// The subcommand names of a help page's SUBCOMMANDS section.
    static func subcommands(_ help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("SUBCOMMANDS:") }) else { return [] }
        // Each subcommand's line starts two spaces in (a wrapped abstract would continue further in).
        return lines[(start + 1)...].prefix { !$0.isEmpty }.compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init).flatMap { $0 == "help" ? nil : $0 }
        }
    }

    /// Every command and subcommand of `steer`, found from the help pages themselves.
    static func commands() throws -> [[String]] {
        var found: [[String]] = []
        var pending = subcommands(try help([])).map { [$0] }
        while let command = pending.first {
            pending.removeFirst()
            found.append(command)
            pending += subcommands(try help(command)).map { command + [$0] }
        }
        return found
    }

    @Test func everyExampleIsOneLine() throws {
        let commands = try Self.commands()
        #expect(commands.count > 25, "found only \(commands)")
        #expect(commands.contains(["guard", "train"]) && commands.contains(["erase", "fit"]))
        var examples = 0
        for command in commands {
            let lines = try Self.help(command).split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            for (index, line) in lines.enumerated() where line.hasPrefix("steer ") {
                examples += 1
                let name = "steer \(command.joined(separator: " ")) --help"
                #expect(!line.hasSuffix("\\"), "\(name): an example continues on the next line: \(line)")
                if index + 1 < lines.count {
                    #expect(!lines[index + 1].hasPrefix("--"), "\(name): options of an example on a line of their own: \(lines[index + 1])")
                }
            }
        }
        #expect(examples > 20, "found \(examples) example lines")
    }
}
