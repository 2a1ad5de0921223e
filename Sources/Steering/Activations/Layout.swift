/// How the axes of a stored tensor are ordered.
///
/// Letters: `n` rows (prompts), `l` layer slots, `p` token positions, `d` width.
/// `auto` takes `[N, d]`, `[N, L, d]` or `[N, L, P, d]` for a single tensor and
/// `[N, d]` or `[N, P, d]` for one tensor per layer. Files that put layers first
/// (`[L, N, d]`) need `lnd` or `lnpd` said explicitly.
public enum Layout: String, Sendable, CaseIterable {
    case auto, nd, nld, lnd, npd, nlpd, lnpd

    func resolved(rank: Int, perLayerTensors: Bool, file: String) throws -> String {
        if self == .auto {
            switch (perLayerTensors, rank) {
            case (_, 2): return "nd"
            case (true, 3): return "npd"
            case (false, 3): return "nld"
            case (false, 4): return "nlpd"
            default:
                throw SteerError(
                    .shape, file: file,
                    "cannot tell the axes of a \(rank)-D tensor; give the layout (\(Layout.allCases.dropFirst().map(\.rawValue).joined(separator: ", ")))",
                    setting: .layout)
            }
        }
        guard rawValue.count == rank else {
            throw SteerError(.shape, file: file, "layout \(rawValue) has \(rawValue.count) axes but the tensor has \(rank)", setting: .layout)
        }
        if perLayerTensors && rawValue.contains("l") {
            throw SteerError(.shape, file: file, "layout \(rawValue) has a layer axis, but the file holds one tensor per layer", setting: .layout)
        }
        return rawValue
    }
}
