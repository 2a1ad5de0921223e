/// Placeholder, replaced by the analysis.
enum Placeholder {}
