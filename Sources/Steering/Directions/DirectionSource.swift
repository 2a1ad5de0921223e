import Foundation

/// Where a command's directions come from: a steer directions or basis file (tensors named by
/// layer, a control-vector GGUF), or a direction artifact another tool published, whose one
/// unnamed tensor says nothing about its layers. The one reader of directions for every command.
///
/// A foreign file holds exactly one float tensor whose name has no layer number (`torch.save(t)`,
/// `np.save`, `np.savez(path, arr)`); it reads as:
/// - `[d]`, one direction (the refusal-direction study's `direction.pt`): at ``Foreign/slot``, else at the
///   `"layer"` of a `direction_metadata.json` `{"pos": p, "layer": l}` beside it;
/// - `[L, d]` with ``Layout/ld``: one direction per slot `0…L−1` (the seed paper's arrays);
/// - `[P, L, d]` with ``Layout/pld`` (implied by a ``Foreign/position``): the `[L, d]` stack at position
///   ``Foreign/position`` (negative counts from the end; `mean_diffs.pt`).
///
/// The foreign file's layer numbers are kept as slots, in the ``convention`` the user states for
/// them (recorded as `steer.layer_convention`; the refusal-direction study hooks the input of each
/// block, `block_input`); without one the set records none. The set records
/// `steer.kind` `directions`, `steer.converted_from` (the path) and `steer.source` (how it was
/// read). A foreign position is not a stored position of steer's files, so no `steer.position`
/// is recorded. For a steer file, ``convention`` fills in a convention the file does not record
/// (the file's own wins); the foreign settings are refused (they would be ignored).
public struct DirectionSource: Sendable, Equatable {
    /// How the one unnamed tensor of a foreign file is laid out.
    public enum Layout: String, Sendable, CaseIterable, Codable {
        /// `[layers, d]`: one direction per layer slot.
        case ld
        /// `[positions, layers, d]`: one `[layers, d]` stack per token position.
        case pld
    }

    /// How to read a foreign file's one unnamed tensor.
    public struct Foreign: Sendable, Equatable {
        /// The layer slot of a single `[d]` direction (overrides `direction_metadata.json`).
        public var slot: Int?
        /// The layout of a stack.
        public var layout: Layout?
        /// The position of a `[P, L, d]` stack.
        public var position: Int?

        public init(slot: Int? = nil, layout: Layout? = nil, position: Int? = nil) {
            self.slot = slot
            self.layout = layout
            self.position = position
        }

        /// Whether any setting is given.
        public var isEmpty: Bool { slot == nil && layout == nil && position == nil }

        /// The settings that fit a tensor of `rank` dimensions.
        func fitting(rank: Int) -> Foreign {
            Foreign(
                slot: rank == 1 ? slot : nil, layout: layout == (rank == 2 ? .ld : rank == 3 ? .pld : nil) ? layout : nil,
                position: rank == 3 ? position : nil)
        }

        /// The settings that are in `self` and none of `used`.
        public func unused(by used: [Foreign]) -> Foreign {
            Foreign(
                slot: used.contains { $0.slot != nil } ? nil : slot, layout: used.contains { $0.layout != nil } ? nil : layout,
                position: used.contains { $0.position != nil } ? nil : position)
        }
    }

    /// The file read.
    public var path: String
    /// How to read it when it is foreign.
    public var foreign: Foreign
    /// The layer convention of a file that records none.
    public var convention: LayerConvention?

    /// The sidecar the refusal-direction study writes beside `direction.pt`.
    public static let metadataFileName = "direction_metadata.json"

    public init(_ path: String, foreign: Foreign = .init(), convention: LayerConvention? = nil) {
        self.path = path
        self.foreign = foreign
        self.convention = convention
    }

    /// What was read: the directions, and whether they are a single `[d]` direction with no slot
    /// (only with `allowUnplaced`; it stands at slot 0, and the caller decides which slots it
    /// stands for, ``DirectionSet/broadcast(to:)``).
    public struct Reading: Sendable, Equatable {
        public var set: DirectionSet
        public var unplaced: Bool
        /// The file is a foreign direction artifact (not named by layer).
        public var foreign: Bool
        /// The foreign settings it used.
        public var used: Foreign
    }

    /// The directions (see the type's documentation); a `[d]` direction without a slot is an error.
    public func read() throws -> DirectionSet { try reading(allowUnplaced: false).set }

    /// The directions, and how they were read. `shared`: the foreign settings are shared by
    /// several files (`steer compare A B`), so each file takes those that fit it (a slot for a
    /// `[d]` tensor, the layout of its rank, a position for `[P, L, d]`; a steer file none), and
    /// ``Reading/used`` says which.
    public func reading(allowUnplaced: Bool, shared: Bool = false) throws -> Reading {
        let file = try TensorFile.open(path)
        guard let tensor = try Self.foreignTensor(in: file) else {
            if !foreign.isEmpty, !shared {
                throw SteerError.argument(
                    "\(path) names its layers (layer.N tensors); the slot, layout and position of a foreign direction file do not apply to it")
            }
            var set = try DirectionSet.read(path)
            if let convention {
                if let recorded = set.metadata[SteerMetadata.Key.layerConvention] {
                    // Several files share one stated convention (`compare`): it fills in only the ones that record none.
                    guard shared || recorded == convention.rawValue else {
                        throw SteerError(
                            .argument, file: path,
                            "records layer convention \(recorded), not the \(convention.rawValue) given; leave the convention out")
                    }
                } else {
                    set.metadata[SteerMetadata.Key.layerConvention] = convention.rawValue
                }
            }
            return Reading(set: set, unplaced: false, foreign: false, used: .init())
        }
        var source = self
        if shared { source.foreign = foreign.fitting(rank: tensor.shape.count) }
        var reading = try source.readForeign(tensor, in: file, allowUnplaced: allowUnplaced)
        reading.used = source.foreign
        return reading
    }

    /// The one float tensor of `file` when it names no layer (a foreign direction artifact), else nil.
    public static func foreignTensor(in file: TensorFile) throws -> TensorInfo? {
        let floats = Activations.floatTensors(file)
        guard floats.count == 1, let only = floats.first else { return nil }
        if Activations.isLoneUnnamedMember(only, of: file) { return only }
        return try Activations.slot(of: only, in: file.path) == nil ? only : nil
    }

    private func readForeign(_ info: TensorInfo, in file: TensorFile, allowUnplaced: Bool) throws -> Reading {
        let shape = info.shape
        let layout = foreign.layout ?? (shape.count == 3 && foreign.position != nil ? .pld : nil)
        var metadata = [SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue, SteerMetadata.Key.convertedFrom: path]
        if let convention { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        switch (shape.count, layout) {
        case (1, nil):
            guard foreign.position == nil else {
                throw SteerError.argument(
                    "\(path) holds one [d] direction; a position applies to a [positions, layers, d] stack", setting: .directionsPosition)
            }
            let values = try file.vector(info)
            let sidecar = try Self.sidecar(besides: path)
            guard let slot = foreign.slot ?? sidecar?.layer else {
                if allowUnplaced {
                    metadata[SteerMetadata.Key.source] = "one [d] direction, no slot"
                    return Reading(set: DirectionSet(slots: [0], vectors: [values], metadata: metadata), unplaced: true, foreign: true, used: .init())
                }
                throw SteerError.argument(
                    "\(path) holds one unnamed \(describeShape(shape)) direction and no \(Self.metadataFileName) beside it: give its layer slot",
                    setting: .slot)
            }
            try Self.check(slot: slot, file: path)
            let from = foreign.slot != nil ? "given" : Self.metadataFileName + (sidecar?.pos.map { ", pos \($0)" } ?? "")
            metadata[SteerMetadata.Key.source] = "one [d] direction at slot \(slot) (\(from))"
            return Reading(set: DirectionSet(slots: [slot], vectors: [values], metadata: metadata), unplaced: false, foreign: true, used: .init())
        case (2, .ld):
            try refuse(slot: "a [layers, d] stack")
            guard foreign.position == nil else {
                throw SteerError.argument(
                    "\(path) is a [layers, d] stack; a position applies to [positions, layers, d]", setting: .directionsPosition)
            }
            metadata[SteerMetadata.Key.source] = "[layers, d] stack \(describeShape(shape))"
            return Reading(set: try stack(info, in: file, at: 0, metadata: metadata), unplaced: false, foreign: true, used: .init())
        case (3, .pld):
            try refuse(slot: "a [positions, layers, d] stack")
            guard let position = foreign.position else {
                throw SteerError.argument(
                    "\(path) holds one [positions, layers, d] tensor \(describeShape(shape)); choose a position (0…\(shape[0] - 1), or negative from the end)",
                    setting: .directionsPosition)
            }
            let p = position < 0 ? shape[0] + position : position
            guard p >= 0, p < shape[0] else {
                throw SteerError.argument("\(path): position \(position) is outside its \(shape[0]) positions", setting: .directionsPosition)
            }
            metadata[SteerMetadata.Key.source] = "[positions, layers, d] stack \(describeShape(shape)) at position \(position)"
            return Reading(set: try stack(info, in: file, at: p, metadata: metadata), unplaced: false, foreign: true, used: .init())
        case (_, nil):
            throw SteerError(
                .argument, file: path,
                Self.hint(for: shape) ?? "its one unnamed tensor is \(describeShape(shape)); foreign directions are [d], [L, d] or [P, L, d]",
                setting: .directionsLayout)
        case (_, let layout?):
            throw SteerError(
                .shape, file: path,
                "its one unnamed tensor is \(describeShape(shape)), not \(layout == .ld ? "[layers, d]" : "[positions, layers, d]") as the layout says"
            )
        }
    }

    /// The `[L, d]` directions of `info` starting at row block `index` (an `[L, d]` tensor: 0).
    private func stack(_ info: TensorInfo, in file: TensorFile, at index: Int, metadata: [String: String]) throws -> DirectionSet {
        let (l, d) = (info.shape[info.shape.count - 2], info.shape[info.shape.count - 1])
        guard l >= 1, d >= 1, l <= Activations.maxSlot + 1 else {
            throw SteerError.shape(
                path, "its one unnamed tensor is \(describeShape(info.shape)); a stack needs 1 to \(Activations.maxSlot + 1) layers of width ≥ 1")
        }
        let values = try file.values(info)
        let start = index * l * d
        return DirectionSet(
            slots: Array(0..<l), vectors: (0..<l).map { Array(values[(start + $0 * d)..<(start + ($0 + 1) * d)]) }, metadata: metadata)
    }

    private func refuse(slot what: String) throws {
        if foreign.slot != nil {
            throw SteerError.argument("\(path) is \(what): its slots are its rows; choose slots with the layer selection", setting: .slot)
        }
    }

    private static func check(slot: Int, file: String) throws {
        guard slot >= 0, slot <= Activations.maxSlot else {
            throw SteerError(.argument, file: file, "layer slot \(slot) is outside 0…\(Activations.maxSlot)", setting: .slot)
        }
    }

    /// What the user should say for a foreign tensor of `shape`, or nil when it cannot be directions.
    public static func hint(for shape: [Int]) -> String? {
        switch shape.count {
        case 1: "one unnamed \(describeShape(shape)) direction: give its slot (or put \(metadataFileName) {\"pos\", \"layer\"} beside it)"
        case 2: "one unnamed \(describeShape(shape)) tensor: if it is a [layers, d] direction stack, give the layout ld"
        case 3:
            "one unnamed \(describeShape(shape)) tensor: if it is a [positions, layers, d] direction stack (mean_diffs.pt), give the layout pld and a position"
        default: nil
        }
    }

    /// `direction_metadata.json` in the directory of `path`: its `"layer"` (required) and `"pos"`; nil when absent.
    static func sidecar(besides path: String) throws -> (layer: Int, pos: Int?)? {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let sidecar = (path.contains("/") ? directory + "/" : "") + metadataFileName
        guard FileManager.default.fileExists(atPath: sidecar) else { return nil }
        var reader = JSONReader(try ReadOnlyFile.contents(of: sidecar, limit: 1 << 20, what: "direction metadata"))
        var layer: Int?
        var pos: Int?
        do {
            try reader.readObject { reader, key in
                switch key {
                case "layer": layer = try reader.readInteger()
                case "pos": pos = try reader.readInteger()
                default: try reader.skipValue()
                }
            }
            try reader.finish()
        } catch let failure as JSONReader.Failure {
            throw SteerError.format(sidecar, "is not valid JSON: \(failure.message)")
        }
        guard let layer else { throw SteerError.format(sidecar, "has no integer \"layer\"") }
        try check(slot: layer, file: sidecar)
        return (layer, pos)
    }
}
