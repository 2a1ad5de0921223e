import Steering

#if canImport(Glibc)
    import Glibc
#endif

/// The `direction_metadata.json` the refusal-direction study writes beside `direction.pt`
/// (`{"pos": -1, "layer": 12}`): the fuzzer's bytes are that sidecar, beside a valid `[8]` F32
/// direction the harness writes (`direction.npy`), read through ``DirectionSource`` as every
/// command that takes a directions file reads it. Oracles: an accepted sidecar puts the one
/// direction, unchanged, at one slot in range; a stated slot wins over the sidecar; the set
/// writes as a steer directions file that reads back equal (what `steer convert` does).
func exerciseDirectionMetadata(_ bytes: [UInt8]) {
    let values: [Double] = [0.5, -1.25, 2, 0, 0.125, -3, 1, 0.75]
    var plan = NPYPlan()
    plan.shape = [values.count]
    plan.values = values
    let direction = plan.write("direction.npy")
    Scratch.write(DirectionSource.metadataFileName, bytes)
    // A stated slot: the sidecar is not needed, but it is read (its errors still name it).
    if let stated = try? DirectionSource(direction, foreign: .init(slot: 5)).read() {
        oracle(stated.slots == [5], "a stated slot 5 read as slots \(stated.slots)")
    }
    _ = try? DirectionSource(direction, convention: .blockInput).reading(allowUnplaced: true)
    guard let set = try? DirectionSource(direction).read() else { return }
    oracle(set.slots.count == 1 && set.k == 1, "one [d] direction read as slots \(set.slots), k \(set.k)")
    oracle(set.slots.allSatisfy { $0 >= 0 && $0 <= Activations.maxSlot }, "slot out of range accepted: \(set.slots)")
    oracle(set.vectors.first == values, "the direction's values changed when read with a sidecar")
    oracleReadsBack(set, as: "direction", what: "directions read with a sidecar") { $0.slots == $1.slots && $0.vectors == $1.vectors }
}
