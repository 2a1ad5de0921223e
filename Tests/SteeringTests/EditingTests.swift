import Foundation
import TestSupport
import Testing

@testable import Steering

/// Projection, ablation and addition against numpy (vectors/editing/make_editing_vectors.py).
@Suite struct EditingTests {
    static func reference(_ name: String) throws -> [String: Any] {
        try Fixtures.require(Fixtures.reference("editing/editing.json", name), as: [String: Any].self, name)
    }

    /// Every number of a nested JSON list, in order.
    static func flat(_ value: Any?, _ what: String) throws -> [Double] {
        if let number = value as? NSNumber { return [number.doubleValue] }
        guard let list = value as? [Any], !list.isEmpty else { throw FixtureError(what: what) }
        return try list.flatMap { try flat($0, what) }
    }

    struct FixtureError: Error { var what: String }

    static let dirs = Fixtures.vectors("editing/dirs.safetensors")
    static let basis = Fixtures.vectors("editing/basis.safetensors")

    /// The largest relative rounding of one element of `dtype` (round to nearest even).
    static func unitRoundoff(_ dtype: DType) -> Double {
        switch dtype {
        case .float64: 0x1p-53
        case .float32: 0x1p-24
        case .float16: 0x1p-11
        case .bfloat16: 0x1p-8
        }
    }

    /// All values of the one float tensor per layer (or the one stacked tensor) of `path`, in file order.
    static func values(_ path: String) throws -> [Double] {
        let file = try TensorFile.open(path)
        return try file.tensors.flatMap { try file.values($0) }
    }

    @Test func projectionOfDirectionsMatchesNumpy() throws {
        let r = try Self.reference("project_dirs")
        let rows = try EditTarget.open(
            Fixtures.vectors("synthetic/pos_f32.npy"), selection: .init(), directions: DirectionSet.read(Self.dirs), file: Self.dirs)[0]
        #expect(rows.position == 1)  // from the directions' steer.position
        let projection = try rows.project(on: DirectionSet.read(Self.dirs), file: Self.dirs, StreamOptions(workers: 3, tileBytes: 512))
        let expected = try Self.flat(r["projection"], "projection")
        let fractions = try Self.flat(r["fraction"], "fraction")
        #expect(projection.k == 1 && projection.slots == [0, 1, 2] && projection.rows == 37)
        for row in 0..<37 {
            for layer in 0..<3 {
                let e = expected[row * 3 + layer]
                #expect(abs((projection.coordinates(row: row, layer: layer).first ?? .nan) - e) <= 1e-12 * max(1, abs(e)))
                #expect(abs(projection.fraction(row: row, layer: layer) - fractions[row * 3 + layer]) <= 1e-12)
            }
        }
    }

    /// A basis that is not orthonormal is orthonormalized (QR, signs kept) before its coordinates are taken.
    @Test func projectionOfANonOrthonormalBasisMatchesNumpy() throws {
        let r = try Self.reference("project_basis")
        let basis = try DirectionSet.read(Self.basis)
        let rows = try EditTarget.open(Fixtures.vectors("synthetic/pos_f32.npy"), selection: .init(position: 0), directions: basis, file: Self.basis)[
            0]
        let projection = try rows.project(on: basis, file: Self.basis)
        #expect(projection.k == 2 && projection.slots == [1, 2] && projection.orthonormalizedSlots == [1, 2])
        let expected = try Self.flat(r["coordinates"], "coordinates")
        let fractions = try Self.flat(r["fraction"], "fraction")
        for row in 0..<37 {
            for layer in 0..<2 {
                let got = Array(projection.coordinates(row: row, layer: layer))
                for i in 0..<2 { #expect(abs(got[i] - expected[(row * 2 + layer) * 2 + i]) <= 1e-10, "row \(row) layer \(layer)") }
                #expect(abs(projection.fraction(row: row, layer: layer) - fractions[row * 2 + layer]) <= 1e-12)
            }
        }
    }

    /// Runs one editing case and compares the whole output file with numpy: edited values to the output
    /// dtype's rounding, everything else exactly (copied byte for byte).
    func check(
        _ name: String, edit: (DirectionSet, Activations, Int) throws -> RowEdit, directions: String, allPositions: Bool, fromSlot: Int? = nil,
        selection: ActivationSelection = .init(), oneCall: ((DirectionSet) -> ActivationEdit)? = nil
    ) throws {
        let r = try Self.reference(name)
        let input = Fixtures.vectors(try Fixtures.require(r["input"], as: String.self, "input"))
        let basis = try DirectionSet.read(directions)
        let output = try Fixtures.temporaryDirectory() + "/out" + (input.hasSuffix(".npy") ? ".npy" : ".safetensors")
        let summary: ActivationEditor.Summary
        if let oneCall {
            // What a library user writes: one call from the files to the edited copy, its provenance included.
            let copy = try ActivationEditor.copy(
                input, applying: oneCall(basis), from: directions, to: output, selection: selection, allPositions: allPositions)
            summary = copy.summary
            if input.hasSuffix(".safetensors") {
                let recorded = try TensorFile.open(output).metadata
                #expect(recorded["steer.edit_source"] == directions && recorded["steer.edit"] == String(name.prefix { $0 != "_" }))
            }
        } else {
            let sets = try EditTarget.open(
                input, selection: selection, directions: basis, file: directions, fromSlot: fromSlot, allPositions: allPositions)
            let edits = try sets[0].slots.indices.map { try edit(basis, sets[0], $0) }
            summary = try ActivationEditor.rewrite(sets, edits: edits, to: output, metadata: ["steer.edit": name], blockRows: 5)
        }
        #expect(summary.positions == (try Fixtures.numbers(r["positions"], "positions")).map { Int($0) })
        #expect(summary.slots == (try Fixtures.numbers(r["slots"], "slots")).map { Int($0) })
        let source = try TensorFile.open(input)
        let out = try TensorFile.open(output)
        #expect(out.format == source.format && out.tensors.map(\.name) == source.tensors.map(\.name))
        #expect(out.tensors.map(\.shape) == source.tensors.map(\.shape) && out.tensors.map(\.dtype) == source.tensors.map(\.dtype))
        if out.format == .safetensors {
            #expect(out.metadata["steer.edit"] == (oneCall == nil ? name : String(name.prefix { $0 != "_" })))
            #expect(out.metadata["steer.edit_slots"] == summary.slots.map(String.init).joined(separator: ","))
            for (key, value) in source.metadata { #expect(out.metadata[key] == value, "metadata \(key) kept") }
        }
        let expected: [Double]
        if let bySlot = r["expected"] as? [String: Any] {
            // Per-layer tensors: only the edited slots are given; the others must equal the input.
            var all: [Double] = []
            for info in source.tensors {
                let slot = try #require(try Activations.slot(of: info, in: input))
                all += try bySlot[String(slot)].map { try Self.flat($0, "expected \(slot)") } ?? source.values(info)
            }
            expected = all
        } else {
            expected = try Self.flat(r["expected"], "expected")
        }
        let got = try Self.values(output)
        let before = try Self.values(input)
        #expect(got.count == expected.count && got.count == before.count)
        let u = Self.unitRoundoff(try #require(out.tensors.first?.dtype))
        var changed = 0
        for i in got.indices where i < expected.count && i < before.count {
            if expected[i] == before[i] {
                #expect(got[i] == before[i], "\(name): value \(i) must be copied exactly")
            } else {
                changed += 1
                #expect(abs(got[i] - expected[i]) <= u * abs(expected[i]) + 1e-300, "\(name): value \(i): \(got[i]) vs \(expected[i])")
            }
        }
        #expect(changed > 0)
    }

    @Test func ablatingDirectionsAtOnePositionMatchesNumpy() throws {
        try check(
            "ablate_dirs", edit: { basis, rows, i in try Ablation(directions: EditTarget.vectors(basis, for: rows, layer: i)).edit },
            directions: Self.dirs, allPositions: false)
    }

    @Test func ablatingANonOrthonormalBasisAtEveryPositionMatchesNumpy() throws {
        try check(
            "ablate_basis",
            edit: { basis, rows, i in
                let ablation = try Ablation(directions: EditTarget.vectors(basis, for: rows, layer: i))
                #expect(ablation.orthonormalized)
                return try ablation.edit
            }, directions: Self.basis, allPositions: true)
    }

    @Test func ablatingOneSlotsDirectionEverywhereMatchesNumpy() throws {
        try check(
            "ablate_from", edit: { basis, rows, i in try Ablation(directions: EditTarget.vectors(basis, for: rows, layer: i, fromSlot: 1)).edit },
            directions: Self.dirs, allPositions: true, fromSlot: 1)
    }

    @Test func addingADirectionMatchesNumpy() throws {
        try check(
            "add_dirs",
            edit: { basis, rows, i in
                try Addition.edit(direction: EditTarget.vectors(basis, for: rows, layer: i).first ?? [], coefficient: -1.5)
            }, directions: Self.dirs, allPositions: false, selection: .init(position: 0))
    }

    /// The same cases through ``ActivationEditor/copy(_:applying:from:to:selection:allPositions:options:)``:
    /// one library call from the files to the edited copy, against the same numpy values.
    @Test func oneCallEditsMatchNumpy() throws {
        try check("ablate_dirs", edit: { _, _, _ in try RowEdit(width: 1) }, directions: Self.dirs, allPositions: false, oneCall: { .ablate($0) })
        try check(
            "ablate_basis", edit: { _, _, _ in try RowEdit(width: 1) }, directions: Self.basis, allPositions: true, oneCall: { .ablate($0) })
        try check(
            "ablate_from", edit: { _, _, _ in try RowEdit(width: 1) }, directions: Self.dirs, allPositions: true, fromSlot: 1,
            oneCall: { .ablate($0, fromSlot: 1) })
        try check(
            "add_dirs", edit: { _, _, _ in try RowEdit(width: 1) }, directions: Self.dirs, allPositions: false, selection: .init(position: 0),
            oneCall: { .add($0, coefficient: -1.5) })
    }
}
