import ArgumentParser
import Probe
import Steering
import TerminalOutput

// The library's enumerations as option values: ArgumentParser then lists the choices in --help
// and turns an unknown value into a usage error.

extension Layout: ExpressibleByArgument {}

extension DType: ExpressibleByArgument {
    /// `f32`, `float32`, `f16`, `half`, `bf16`, `bfloat16`, `f64`, `double`, …
    public init?(argument: String) { self.init(userName: argument) }
}

extension Calibration: ExpressibleByArgument {
    /// `max-f1`, `youden` or `fpr=RATE`.
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { ["max-f1", "youden", "fpr=0.01"] }
}

extension LayerConvention: ExpressibleByArgument {}
