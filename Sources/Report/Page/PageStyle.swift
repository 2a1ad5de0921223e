/// The page's only stylesheet: system fonts, no network, a print layout for A4 and Letter.
/// (No `>` or `&` in it, so the page stays well-formed XML.)
enum PageStyle {
    static let css = """
        :root { color-scheme: light; }
        body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; color: #111; background: #fff; margin: 0; line-height: 1.45; }
        main { max-width: 760px; margin: 0 auto; padding: 20px 20px 48px; }
        h1 { font-size: 1.55rem; margin: 0 0 0.2rem; }
        h2 { font-size: 1.2rem; border-bottom: 2px solid #0072B2; padding-bottom: 0.15rem; margin: 2rem 0 0.6rem; }
        p { margin: 0.4rem 0; }
        .meta { color: #444; font-size: 0.9rem; }
        pre.command { white-space: pre-wrap; word-break: break-all; background: #f3f3f3; border-left: 3px solid #0072B2; padding: 6px 10px; font-size: 0.8rem; margin: 0.5rem 0; }
        figure { margin: 1rem 0 1.4rem; break-inside: avoid; page-break-inside: avoid; }
        figure svg { display: block; max-width: 100%; height: auto; }
        figcaption { font-size: 0.88rem; color: #333; margin-top: 0.25rem; }
        table { border-collapse: collapse; font-size: 0.82rem; margin: 0.6rem 0; width: 100%; }
        th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
        th { background: #f3f3f3; font-weight: 600; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td.text { overflow-wrap: anywhere; }
        ul.notes { font-size: 0.88rem; color: #5a3b00; background: #fff6e0; padding: 6px 10px 6px 28px; }
        .skipped { color: #555; font-style: italic; }
        nav ol { columns: 2; font-size: 0.9rem; padding-left: 1.4rem; }
        @media print {
          @page { margin: 12mm; }
          body { font-size: 9.5pt; }
          main { max-width: none; padding: 0; }
          nav { display: none; }
          h2 { break-after: avoid; page-break-after: avoid; }
          figure svg { max-height: 125mm; width: auto; }
          pre.command { background: none; border-left: 2px solid #888; }
        }
        """
}
