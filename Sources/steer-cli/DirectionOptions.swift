import ArgumentParser
import Steering

extension DirectionSource.Layout: ExpressibleByArgument {}

/// How to read a foreign direction file (one unnamed tensor: a paper's `direction.pt`,
/// `mean_diffs.pt`, a `[layers, d]` array), shared by every command that reads directions.
struct DirectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Layer slot of a file holding one unnamed [d] direction (default: \"layer\" of direction_metadata.json beside it).", valueName: "s"))
    var slot: Int?

    @Option(
        help: ArgumentHelp(
            "Layout of a file holding one unnamed direction stack: ld ([layers, d]) or pld ([positions, layers, d]).", valueName: "ld|pld"))
    var directionsLayout: DirectionSource.Layout?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Position of a [positions, layers, d] direction stack (mean_diffs.pt); negative counts from the end; implies pld.", valueName: "p"))
    var directionsPosition: Int?

    /// The foreign-file settings given.
    var settings: DirectionSource.Foreign { .init(slot: slot, layout: directionsLayout, position: directionsPosition) }

    /// Where the directions of `path` come from, `convention` being the layer convention stated for files that record none.
    func source(_ path: String, convention: LayerConvention? = nil) -> DirectionSource {
        DirectionSource(path, foreign: settings, convention: convention)
    }

    /// The directions of `path` (see ``source(_:convention:)``).
    func read(_ path: String, convention: LayerConvention? = nil) throws -> DirectionSet {
        try source(path, convention: convention).read()
    }
}
