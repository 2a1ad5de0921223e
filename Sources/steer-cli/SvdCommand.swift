import ArgumentParser
import Foundation
import Steering
import TerminalOutput

extension DifferenceMode: ExpressibleByArgument {}

struct Svd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svd",
        abstract: "A k-dimensional basis per layer from the SVD of difference vectors (or PCA of them).",
        discussion: """
            The rows D are difference vectors: with --paired, h⁺_i − h⁻_i (row i of each file belong \
            together); with --to-mean (the default), each positive row minus the negative mean. Pairing is \
            never inferred from equal row counts: say --paired when row i of both files are one prompt pair. Uncentered SVD by default (its first vector is the \
            shared direction); --centered gives PCA of the differences (how they vary). With --stack, \
            the rows are the vectors of several direction files at each slot they share.

            Exact for any number of rows with memory flat in it: the Float64 Gram matrix DᵀD is \
            accumulated in one streamed pass, then its top-k eigenvectors come from LAPACK. Each \
            vector's sign is fixed so that the positive class projects higher on average.

            --randomized approximates instead (a randomized range finder, as scikit-learn's \
            randomized_svd): q + 1 streamed passes of Y = DᵀD Z and QR, then Rayleigh–Ritz, with \
            k + p vectors per layer and no width × width matrix. The error in vector i shrinks like \
            (σ_{k+p+1}/σ_i)^(2q); raise --power-iterations when the spectrum decays slowly. The \
            effective rank is then known only when the k + p values reach 90 % ("> k+p" otherwise).

            The file (safetensors) holds F32 layer.{slot} of shape [k, d] and __metadata__ \
            (steer.kind=basis, steer.method, steer.difference, steer.k, singular values, explained \
            variance, effective rank at 90 %, eigengaps). The table prints, per layer, the top singular values, \
            the explained fractions, each vector's eigengap min_{j≠i} |σ_i² − σ_j²| / σ_1² (near 0: the \
            vector is unstable, as its eigenvalue is nearly shared; the span of the tied vectors is not), \
            the effective rank and the cosine of the first vector with the mean-difference direction of \
            the same rows.

            Examples:
              steer svd --pos train_harmful.safetensors --neg train_harmless.safetensors --position 0 --k 3 --out basis.safetensors
              steer svd --stack cat1.safetensors cat2.safetensors cat3.safetensors --k 2
            """
    )

    @Option(help: ArgumentHelp("Positive-class activations (e.g. harmful prompts).", valueName: "file")) var pos: String?
    @Option(help: ArgumentHelp("Negative-class activations.", valueName: "file")) var neg: String?
    @Flag(help: "Pair row i of --pos with row i of --neg (equal row counts).") var paired = false
    @Flag(help: "Subtract the negative mean from each positive row (the default).") var toMean = false
    @Flag(help: "PCA: center the differences first.") var centered = false
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Direction files to stack instead of --pos/--neg.", valueName: "file"))
    var stack: [String] = []
    @Option(help: ArgumentHelp("Basis vectors per layer.", valueName: "k")) var k: Int
    @Flag(help: "Approximate with a randomized range finder: a few streamed passes, no width × width matrix.") var randomized = false
    @Option(help: ArgumentHelp("With --randomized: power iterations (passes after the first).", valueName: "q"))
    var powerIterations = RangeFinder().powerIterations
    @Option(help: ArgumentHelp("With --randomized: extra vectors carried beside the k.", valueName: "p"))
    var oversampling = RangeFinder().oversampling
    @Option(help: ArgumentHelp("With --randomized: seed of the Gaussian start.", valueName: "n")) var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Where to save the basis (.safetensors); written atomically.", valueName: "file")) var out: String?
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard !(paired && toMean) else { throw ValidationError("give --paired or --to-mean, not both") }
        if stack.isEmpty {
            guard pos != nil, neg != nil else { throw ValidationError("give --pos and --neg, or --stack with two or more direction files") }
        } else {
            guard pos == nil, neg == nil, !paired, !toMean else {
                throw ValidationError("--stack takes direction files instead of --pos/--neg/--paired/--to-mean")
            }
            guard stack.count >= 2 else { throw ValidationError("--stack needs at least two direction files") }
        }
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        guard (0...100).contains(powerIterations) else { throw ValidationError("--power-iterations must be between 0 and 100") }
        guard (0...1000).contains(oversampling) else { throw ValidationError("--oversampling must be between 0 and 1000") }
        if randomized, !stack.isEmpty { throw ValidationError("--randomized is for --pos/--neg rows; stacked direction files are solved exactly") }
    }

    struct Report: Encodable {
        var difference: String
        var centered: Bool
        var k: Int
        var position: Int?
        var out: String?
        var layers: [SubspaceLayer]
    }

    func run() throws {
        let basis: DirectionSet
        let layers: [SubspaceLayer]
        var position: Int?
        if stack.isEmpty, let pos, let neg {
            let inputs = try ClassInputs.open(positive: pos, negative: neg, selection: input.selection())
            switch inputs {
            case .statistics(let positive, let negative):
                guard !paired, !randomized else {
                    throw ValidationError("statistics files give --to-mean or --centered bases; --paired and --randomized need the rows")
                }
                (basis, layers) = try Subspace.extract(positive: positive, negative: negative, files: (pos, neg), centered: centered, k: k)
            case .activations(let positive, let negative):
                let mode: DifferenceMode = paired ? .paired : .toMean
                (basis, layers) = try Subspace.extract(
                    positive: positive, negative: negative, mode: mode, centered: centered, k: k, solver: randomized ? .randomized : .automatic,
                    rangeFinder: RangeFinder(powerIterations: powerIterations, oversampling: oversampling, seed: seed), options: input.streamOptions)
            }
            position = inputs.position
        } else {
            (basis, layers) = try Subspace.stack(
                try stack.map { try DirectionSet.read($0).oneVectorPerSlot(file: $0) }, files: stack, centered: centered, k: k)
        }
        if let out { try basis.write(to: out) }
        let difference = basis.metadata[SteerMetadata.Key.difference] ?? ""
        if json {
            try printJSON(Report(difference: difference, centered: centered, k: k, position: position, out: out, layers: layers))
            return
        }
        let what =
            difference == "paired"
            ? "paired differences h⁺_i − h⁻_i" : difference == "to_mean" ? "each positive row minus the negative mean" : "stacked direction files"
        let solver = randomized ? ", randomized (\(powerIterations) power iterations, \(oversampling) extra vectors, seed \(seed))" : ""
        print("steer svd: \(layers.count) layer slots, k = \(k), \(centered ? "centered (PCA)" : "uncentered SVD") of \(what)\(solver)")
        print("")
        var table = TextTable(header: ["layer", "σ1", "σ2…", "explained", "eigengap", "rank@90%", "cos(v1, μ⁺−μ⁻)", ""])
        for l in layers {
            table.rows.append([
                String(l.layer), fixed(l.singularValues.first ?? 0, 3),
                l.singularValues.dropFirst().map { fixed($0, 3) }.joined(separator: " "),
                l.explained.map { fixed($0, 3) }.joined(separator: " "), l.eigengaps.map { fixed($0, 3) }.joined(separator: " "),
                l.effectiveRank.map(String.init) ?? "> \(k + oversampling)",
                fixed(l.cosineWithMeanDifference, 4),
                l.degenerate ? "degenerate: no difference" : "",
            ])
        }
        print(table.render())
        print("\neigengap: min |σ_i² − σ_j²| / σ_1² over the other eigenvalues; near 0, vector i is unstable (its span with its neighbours is not)")
        if let out { print("\nwrote \(out): \(layers.count) bases of \(k) vectors (F32 [k, d])") }
    }
}
