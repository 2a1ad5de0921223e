// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "steer",
    products: [
        .library(name: "Steering", targets: ["Steering"]),
        .library(name: "Probe", targets: ["Probe"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Charts", targets: ["Charts"]),
        .library(name: "Report", targets: ["Report"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "TextGuard", targets: ["TextGuard"]),
        .executable(name: "steer", targets: ["steer-cli"]),
        .executable(name: "steer-bench", targets: ["steer-bench"]),
        .executable(name: "steer-serve", targets: ["steer-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.14.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
    ],
    targets: [
        // OpenBLAS (cblas.h) and LAPACKE (lapacke.h) from Debian's libopenblas-dev and liblapacke-dev.
        .systemLibrary(
            name: "CLinearAlgebra",
            path: "Sources/CLinearAlgebra",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // zlib (zlib.h) from Debian's zlib1g-dev: inflating deflated .npz members.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Hot loops in C: portable, AVX2+F16C and AVX-512 versions, picked at run time, one summation order.
        .target(name: "CKernels"),
        // OpenSSL's libcrypto (openssl/sha.h) from Debian's libssl-dev: SHA-256 (the fuzz build compiles these sources with swiftc alone).
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),
        .target(name: "Steering", dependencies: ["CLinearAlgebra", "CKernels", "CZlib", "COpenSSL"], exclude: ["README.md"]),
        .target(name: "Probe", dependencies: ["Steering"], exclude: ["README.md"]),
        // The forward pass of Hugging Face decoder models on the CPU (OpenBLAS sgemm, C kernels), with hooks on the residual stream.
        .target(name: "Runtime", dependencies: ["Steering", "CLinearAlgebra", "CKernels"], exclude: ["README.md"]),
        // Hugging Face tokenizers (tokenizer.json) and chat templates (a Jinja subset): exact token ids, t_inst and t_post.
        .target(name: "Tokenization", dependencies: ["Steering"], exclude: ["README.md"]),
        // The Latent Guard on text: prompts through the runtime up to the guard's deepest slot, scored in memory.
        .target(name: "TextGuard", dependencies: ["Steering", "Probe", "Runtime", "Tokenization"]),
        // `steer serve`: the guard on text as an HTTP service (Hummingbird 2), apart so that nothing else depends on the server.
        .target(
            name: "GuardServer",
            dependencies: [
                "TextGuard", "Probe", "Runtime", "Steering", "Tokenization", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "steer-serve",
            dependencies: [
                "GuardServer", "TextGuard", "Probe", "Runtime", "Steering", "Tokenization", "TerminalOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Typed SVG charts (axes, lines, bands, histograms, scatter, heatmap): no dependency, reusable alone.
        .target(name: "Charts", exclude: ["README.md"]),
        // `steer report`: the whole analysis as one Codable value and one self-contained HTML page.
        .target(
            name: "Report",
            dependencies: ["Steering", "Probe", "Charts", .product(name: "Plot", package: "Plot")],
            exclude: ["README.md"]
        ),
        // Tables, numbers, JSON and stderr lines shared by the two executables.
        .target(name: "TerminalOutput", dependencies: ["Steering"]),
        .executableTarget(
            name: "steer-cli",
            dependencies: [
                "Steering", "Probe", "Report", "Runtime", "TerminalOutput", "Tokenization", "TextGuard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks against numpy and scikit-learn (scripts in Benchmarks/), apart from the user-facing CLI.
        .executableTarget(
            name: "steer-bench",
            dependencies: [
                "Steering", "Probe", "Runtime", "TerminalOutput", "Tokenization", "CLinearAlgebra",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SteeringTests", dependencies: ["Steering", "TestSupport"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Steering", "CKernels", "Tokenization", "TestSupport"]),
        .testTarget(name: "ProbeTests", dependencies: ["Probe", "Steering", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["steer-cli", "TestSupport", "Runtime", "Tokenization"]),
        .testTarget(name: "TextGuardTests", dependencies: ["TextGuard", "Probe", "Runtime", "Steering", "TestSupport"]),
        .testTarget(name: "GuardServerTests", dependencies: ["GuardServer", "TextGuard", "Probe", "Steering", "TestSupport"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "Steering", "TestSupport"]),
        .testTarget(name: "ChartsTests", dependencies: ["Charts"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Charts", "Probe", "Steering", "TestSupport"]),
    ]
)
