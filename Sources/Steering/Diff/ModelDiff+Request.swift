extension ModelDiff {
    /// What `steer diff` is asked for: the edited model (a directory, or a LoRA adapter merged into
    /// the base), and the checks and files beyond the report.
    public struct Request: Sendable {
        public enum Edited: Sendable {
            /// An edited copy of the base model.
            case model(String)
            /// A PEFT LoRA adapter directory (``AdapterMerge``).
            case lora(String)
        }

        public var base: String
        public var edited: Edited
        /// A directions file with class means, for ``VariantCheck``.
        public var directions: String?
        /// Where to write the recovered recipe (``writeRecipe(_:base:edited:to:options:)``).
        public var recipeOut: String?

        public init(base: String, edited: Edited, directions: String? = nil, recipeOut: String? = nil) {
            self.base = base
            self.edited = edited
            self.directions = directions
            self.recipeOut = recipeOut
        }
    }

    /// `steer diff` in one call: the report of `request.edited` against `request.base` (the
    /// adapter's path as the edited one's name), with the variant check and the recipe's check
    /// when asked (``DiffReport/variants``, ``DiffReport/recipe``).
    public static func run(_ request: Request, options: Options = .init()) throws -> DiffReport {
        func analyse(_ path: String, shown: String) throws -> DiffReport {
            var report = try run(base: request.base, edited: path, options: options)
            report.summary.edited = shown
            if let directions = request.directions { report.variants = try VariantCheck.check(report, against: directions) }
            if let recipeOut = request.recipeOut {
                report.recipe = try writeRecipe(report, base: request.base, edited: path, to: recipeOut, options: options)
            }
            return report
        }
        switch request.edited {
        case .model(let path): return try analyse(path, shown: path)
        case .lora(let adapter):
            return try AdapterMerge.withMerged(base: request.base, adapter: adapter, options: options.stream) { try analyse($0, shown: adapter) }
        }
    }
}
