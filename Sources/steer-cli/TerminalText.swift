import TerminalOutput

/// `print` for this command-line tool: what it prints is built from names, metadata and paths taken
/// from files, so every control character but line feeds and tabs is shown escaped
/// (``terminalSafe(_:keepingLines:)``). JSON goes through `printJSON`, which prints exact JSON.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(terminalSafe(items.map { "\($0)" }.joined(separator: separator), keepingLines: true), terminator: terminator)
}
