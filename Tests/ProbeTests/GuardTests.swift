import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// The Latent Guard against the float64 numpy / scikit-learn reference (vectors/*/guard.json).
@Suite struct GuardTests {
    static func reference(_ file: String, _ key: String) throws -> [String: Any] {
        try Fixtures.require(Fixtures.reference(file, key), as: [String: Any].self, "\(file) \(key)")
    }

    static func numbers(_ any: Any?) throws -> [Double] { try Fixtures.numbers(any, "numbers") }
    static func number(_ any: Any?) throws -> Double { try Fixtures.number(any, "number") }

    /// Every field of an evaluation against the reference dictionary.
    static func expectEqual(_ e: Evaluation, _ reference: Any?, tolerance: Double = 1e-12) throws {
        let r = try Fixtures.require(reference, as: [String: Any].self, "evaluation")
        for (key, value) in [
            ("accuracy", e.accuracy), ("precision", e.precision), ("recall", e.recall), ("f1", e.f1),
            ("auroc", e.auroc), ("fpr", e.fpr), ("tpr_at_1pct_fpr", e.tprAt1pctFPR),
        ] {
            let expected = try number(r[key])
            #expect(abs(value - expected) <= tolerance, "\(key): \(value) vs \(expected)")
        }
        let c = try Fixtures.require(r["confusion"], as: [String: NSNumber].self, "confusion")
        #expect(e.confusion.tp == c["tp"]?.intValue && e.confusion.fp == c["fp"]?.intValue)
        #expect(e.confusion.tn == c["tn"]?.intValue && e.confusion.fn == c["fn"]?.intValue)
    }

    func check(
        train: (String, String), eval: (String, String), trainRows: Range<Int>, evalRows: Range<Int>,
        position: Int, reference r: [String: Any]
    ) throws {
        let t = ActivationSelection(position: position, rows: trainRows)
        let model = try LatentGuard.train(positive: Activations.open(train.0, selection: t), negative: Activations.open(train.1, selection: t))
        #expect(model.skippedSlots == (try Fixtures.require(r["skipped"], as: [NSNumber].self, "skipped")).map(\.intValue))
        let e = ActivationSelection(position: position, rows: evalRows)
        let positive = try Activations.open(eval.0, selection: e)
        let negative = try Activations.open(eval.1, selection: e)
        let sp = try model.score(positive)
        let sn = try model.score(negative)
        let (ep, en) = (try Self.numbers(r["eval_pos_scores"]), try Self.numbers(r["eval_neg_scores"]))
        #expect(sp.count == ep.count && sn.count == en.count)
        #expect(Fixtures.relativeError(sp, ep) <= 1e-12)
        #expect(Fixtures.relativeError(sn, en) <= 1e-12)
        try Self.expectEqual(try model.evaluate(positive: positive, negative: negative), r["alpha0"])
        for method in ["max-f1", "youden", "fpr=0.01", "fpr=0.1"] {
            guard let calibration = Calibration(parsing: method) else {
                Issue.record("cannot parse \(method)")
                continue
            }
            var calibrated = model
            try calibrated.calibrate(calibration, positive: positive, negative: negative)
            #expect(abs(calibrated.alpha - (try Self.number(r["threshold_" + method]))) <= 1e-12, "\(method)")
            #expect(calibrated.metadata["steer.calibration"] == method)
        }
    }

    @Test(arguments: [0, 1])
    func syntheticGuardMatchesReference(position: Int) throws {
        let dir = Fixtures.vectors("synthetic/")
        try check(
            train: (dir + "pos_f32.npy", dir + "neg_f32.npy"), eval: (dir + "pos_f32.npy", dir + "neg_f32.npy"),
            trainRows: 0..<20, evalRows: 20..<37, position: position, reference: try Self.reference("synthetic/guard.json", String(position)))
    }

    @Test(arguments: [0, 1])
    func committedRealSubsetMatchesReference(position: Int) throws {
        let pos = Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy")
        let neg = Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy")
        try check(
            train: (pos, neg), eval: (pos, neg), trainRows: 0..<150, evalRows: 150..<300, position: position,
            reference: try Self.reference("real/guard.json", "subset_p\(position)"))
    }

    @Test func savedGuardLoadsBitForBitAndScoresIdentically() throws {
        let dir = Fixtures.vectors("synthetic/")
        let s = ActivationSelection(position: 1)
        let positive = try Activations.open(dir + "pos_f16.npy", selection: s)
        let negative = try Activations.open(dir + "neg_f16.safetensors", selection: s)
        var model = try LatentGuard.train(positive: positive, negative: negative, alpha: 0.0125)
        try model.calibrate(.youden, positive: positive, negative: negative)
        let path = try Fixtures.temporaryDirectory() + "/guard.safetensors"
        try model.write(to: path)
        let loaded = try LatentGuard.read(path)
        #expect(loaded == model)
        #expect(try loaded.score(positive) == model.score(positive))
        #expect(loaded.metadata["steer.train_metrics"] != nil && loaded.metadata["steer.validation_metrics"] != nil)
        #expect(loaded.trainingMetrics == model.trainingMetrics && loaded.validationMetrics?.threshold == model.alpha)
        #expect(loaded.skippedSlots == [0])
    }

    @Test func mismatchesAreClearErrors() throws {
        let dir = Fixtures.vectors("synthetic/")
        let model = try LatentGuard.train(
            positive: Activations.open(dir + "pos_f32.npy", selection: .init(position: 0)),
            negative: Activations.open(dir + "neg_f32.npy", selection: .init(position: 0)))
        let raw = try Activations.open(dir + "pos_l2p0.f32.bin", selection: .init(readOptions: .init(dtype: .float32, width: 27)))
        do {
            _ = try model.score(raw)
            Issue.record("a file lacking the guard's slots was scored")
        } catch let error as SteerError {
            #expect(error.description.contains("lacks layer slots 1–2 (it holds slot 0)") && error.description.contains("pos_l2p0.f32.bin"))
        }
        let narrow = try Activations.open(dir + "pos_l2p0.f32.bin", selection: .init(readOptions: .init(dtype: .float32, width: 9)))
        #expect(throws: SteerError.self) { try model.score(narrow) }
        #expect(throws: SteerError.self) { try LatentGuard.read(Fixtures.vectors("real/smollm2_train_harmful.safetensors")) }
    }

    /// Every truncation of a guard file and of a probe file is a SteerError, never a trap.
    @Test func truncatedModelFilesFailCleanly() throws {
        let dir = try Fixtures.temporaryDirectory()
        let s = ActivationSelection(position: 0)
        let positive = try Activations.open(Fixtures.vectors("synthetic/pos_f32.npy"), selection: s)
        let negative = try Activations.open(Fixtures.vectors("synthetic/neg_f32.npy"), selection: s)
        try LatentGuard.train(positive: positive, negative: negative).write(to: dir + "/g")
        try ProbeSet.train(positive: positive, negative: negative).write(to: dir + "/p")
        for (name, read) in [("g", { (path: String) in _ = try LatentGuard.read(path) }), ("p", { (path: String) in _ = try ProbeSet.read(path) })] {
            let bytes = try Fixtures.read(dir + "/" + name)
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 300)) {
                try Fixtures.write(Array(bytes[0..<cut]), to: dir + "/cut")
                #expect(throws: SteerError.self) { try read(dir + "/cut") }
            }
        }
    }

    // MARK: - The paper setup on the full files

    static let train = (Fixtures.shared("smollm2/smollm2_train_harmful.safetensors"), Fixtures.shared("smollm2/smollm2_train_harmless.safetensors"))
    static let test = (Fixtures.shared("smollm2/smollm2_test_harmful.npy"), Fixtures.shared("smollm2/smollm2_test_harmless.npy"))

    @Test(.enabled(if: Fixtures.sharedData != nil, Comment(rawValue: Fixtures.sharedNote)))
    func paperSetupReproducesTheReference() throws {
        let s = ActivationSelection(position: 0)
        let model = try LatentGuard.train(
            positive: Activations.open(Self.train.0, selection: s), negative: Activations.open(Self.train.1, selection: s))
        #expect(model.activeSlots.count == 31)
        let e = try model.evaluate(positive: Activations.open(Self.test.0, selection: s), negative: Activations.open(Self.test.1, selection: s))
        // The data README's float64 figures, to three decimals.
        #expect((e.accuracy * 1000).rounded() == 683 && (e.auroc * 1000).rounded() == 826 && (e.f1 * 1000).rounded() == 617)
        let r = try Self.reference("real/guard.json", "full_t_inst")
        try Self.expectEqual(e, r["alpha0"])
    }

    @Test(.enabled(if: Fixtures.sharedData != nil, Comment(rawValue: Fixtures.sharedNote)), arguments: ["max-f1", "youden", "fpr=0.01"])
    func calibratedOnHeldOutTestRows(method: String) throws {
        let s = ActivationSelection(position: 0)
        var model = try LatentGuard.train(
            positive: Activations.open(Self.train.0, selection: s), negative: Activations.open(Self.train.1, selection: s))
        let val = ActivationSelection(position: 0, rows: 0..<150)
        let held = ActivationSelection(position: 0, rows: 150..<300)
        try model.calibrate(
            try #require(Calibration(parsing: method)), positive: Activations.open(Self.test.0, selection: val),
            negative: Activations.open(Self.test.1, selection: val))
        let r = try Fixtures.require((try Self.reference("real/guard.json", "full_calibrated"))[method], as: [String: Any].self, method)
        #expect(abs(model.alpha - (try Self.number(r["alpha"]))) <= 1e-12)
        let e = try model.evaluate(positive: Activations.open(Self.test.0, selection: held), negative: Activations.open(Self.test.1, selection: held))
        try Self.expectEqual(e, r["heldout"])
    }
}
