/// The Okabe–Ito palette (safe for the common colour-vision deficiencies), each colour paired with
/// a marker and a dash pattern so that series stay apart in greyscale too.
public enum Palette {
    /// Okabe & Ito (2008), in an order whose neighbours differ in lightness: blue, orange,
    /// bluish green, vermillion, reddish purple, sky blue, yellow, black.
    public static let colours = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
    public static let markers: [Marker] = [.circle, .square, .triangle, .diamond, .cross, .circle, .square, .triangle]
    /// Stroke dash arrays: solid, dashed, dotted, dash-dot, …
    public static let dashes: [String?] = [nil, "6 3", "2 2", "8 3 2 3", "4 2", nil, "6 3", "2 2"]

    /// The style of series number `index` (cycling).
    public static func style(_ index: Int) -> SeriesStyle {
        let i = ((index % colours.count) + colours.count) % colours.count
        return SeriesStyle(colour: colours[i], marker: markers[i], dash: dashes[i])
    }

    /// A sequential colour for `t` in 0…1 (viridis): lightness rises monotonically, so it reads in greyscale.
    public static func sequential(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [
            (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
            (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37),
        ]
        let x = (t.isFinite ? min(1, max(0, t)) : 0) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(x))
        let f = x - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func channel(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * f).rounded()) }
        return hex(channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
    }

    private static func hex(_ r: Int, _ g: Int, _ b: Int) -> String {
        let digits = Array("0123456789ABCDEF")
        func two(_ v: Int) -> String {
            let c = max(0, min(255, v))
            return String([digits[c / 16], digits[c % 16]])
        }
        return "#" + two(r) + two(g) + two(b)
    }
}
