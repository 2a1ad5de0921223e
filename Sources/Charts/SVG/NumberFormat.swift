import Foundation

/// Numbers as charts print them: coordinates with two decimals, tick labels with as many
/// decimals as the tick step needs, never `nan` or `inf`.
public enum NumberFormat {
    /// A coordinate for an SVG attribute (0.01 px is far below what a screen shows).
    public static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
        return String(format: "%.2f", rounded)
    }

    /// `value` with `decimals` digits after the point (`–` when not finite); `-0` prints as `0`.
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "–" }
        let text = String(format: "%.\(max(0, min(decimals, 12)))f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// The decimals a tick step of `step` needs (0 for steps of 1 or more; nice steps are 1, 2 or 5 × 10ᵏ).
    public static func decimals(forStep step: Double) -> Int {
        guard step.isFinite, step > 0, step < 1 else { return 0 }
        return min(12, Int((-log10(step)).rounded(.up)))
    }
}
