import Charts
import Plot

extension Node {
    /// Text from a file or the command line, escaped by ``XMLEscape``.
    ///
    /// Plot's own `.text` escapes `<` and `>` but keeps `&name;` sequences as entities (a prompt
    /// containing `&lt;` would show as `<`) and passes characters XML cannot hold; its attribute
    /// values are not escaped at all. So every string that is not a constant of this module goes
    /// through here, and no attribute carries one.
    static func safe(_ text: String) -> Node { .raw(XMLEscape.text(text)) }
}
