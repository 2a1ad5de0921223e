/// A value rebuilt by the restricted unpickler (``Unpickler``): Python's plain data, and the
/// tensors, storages and numpy arrays that torch files hold. Nothing else can exist.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// A tuple; a class only so that a deep one is released without recursion (see ``release(_:)``).
    case tuple(PickleTuple)
    /// A list; shared, since pickles append to a list after memoizing it.
    case list(PickleList)
    /// A dict or `collections.OrderedDict`, in insertion order; shared like lists.
    case dict(PickleDict)
    /// One of the allowed globals, by its dotted name (`torch._utils._rebuild_tensor_v2`).
    case global(String)
    /// A torch storage named by a persistent id.
    case storage(TorchStorage)
    case tensor(TorchTensor)
    case ndarray(NumpyArray)
    /// A `numpy.dtype` (its `descr`, e.g. `<f4`).
    case dtype(String)

    /// A short name for errors (`int`, `tuple`, `tensor`, ...).
    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let name): name
        case .storage: "storage"
        case .tensor: "tensor"
        case .ndarray: "ndarray"
        case .dtype: "numpy.dtype"
        }
    }
}

extension PickleValue {
    /// A tuple of `items`.
    static func tuple(_ items: [PickleValue]) -> PickleValue { .tuple(PickleTuple(items)) }

    /// Releases the containers of `values` without recursion: each container about to die hands its
    /// children to a work list first, so a pickle of 100,000 nested lists cannot overflow the stack
    /// when it is freed. Shared containers are left to their last owner.
    static func release(_ values: inout [PickleValue]) {
        var pending = values
        values = []
        while var value = pending.popLast() {
            var list: PickleList?
            var dict: PickleDict?
            var tuple: PickleTuple?
            switch value {
            case .list(let l): list = l
            case .dict(let d): dict = d
            case .tuple(let t): tuple = t
            default: continue
            }
            // The switch's copy of `value` is gone; dropping `value` leaves `list` (or …) the only owner, unless shared.
            value = .none
            if isKnownUniquelyReferenced(&list), let l = list { pending += l.take() }
            if isKnownUniquelyReferenced(&dict), let d = dict { pending += d.take() }
            if isKnownUniquelyReferenced(&tuple), let t = tuple { pending += t.take() }
        }
    }
}

/// An immutable tuple.
final class PickleTuple {
    private(set) var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    func take() -> [PickleValue] {
        defer { items = [] }
        return items
    }
    deinit { PickleValue.release(&items) }
}

/// A mutable list shared between the stack and the memo.
final class PickleList {
    var items: [PickleValue] = []
    func take() -> [PickleValue] {
        defer { items = [] }
        return items
    }
    deinit { PickleValue.release(&items) }
}

/// A mutable dict shared between the stack and the memo; keys keep their first position.
final class PickleDict {
    var pairs: [(key: PickleValue, value: PickleValue)] = []
    func take() -> [PickleValue] {
        defer { pairs = [] }
        return pairs.flatMap { [$0.key, $0.value] }
    }
    deinit {
        var values = take()
        PickleValue.release(&values)
    }
}

/// A storage as a persistent id names it: `('storage', torch.FloatStorage, key, location, numel)`.
struct TorchStorage: Equatable {
    /// The record name (`data/<key>` in a zip file; the key of the storage list in a legacy file).
    var key: String
    var type: TorchStorageType
    /// Elements the storage holds.
    var count: Int
}

/// A torch storage class and what its elements are.
struct TorchStorageType: Equatable {
    /// The class name (`FloatStorage`, `UntypedStorage`, ...).
    var name: String
    /// The steer dtype, nil for integer and boolean storages.
    var dtype: DType?
    /// How the element type is shown (`F32`, `I64`, ...).
    var storedType: String
    var itemSize: Int

    /// The storage classes torch writes; any other class is refused.
    static let known: [String: TorchStorageType] = {
        let table: [(String, DType?, String, Int)] = [
            ("FloatStorage", .float32, "F32", 4), ("DoubleStorage", .float64, "F64", 8), ("HalfStorage", .float16, "F16", 2),
            ("BFloat16Storage", .bfloat16, "BF16", 2), ("LongStorage", nil, "I64", 8), ("IntStorage", nil, "I32", 4),
            ("ShortStorage", nil, "I16", 2), ("CharStorage", nil, "I8", 1), ("ByteStorage", nil, "U8", 1), ("BoolStorage", nil, "BOOL", 1),
            ("UntypedStorage", nil, "U8", 1),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { ($0.0, TorchStorageType(name: $0.0, dtype: $0.1, storedType: $0.2, itemSize: $0.3)) })
    }()
}

/// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`: a view of a storage.
struct TorchTensor: Equatable {
    var storage: TorchStorage
    /// Offset of the first element, in elements.
    var storageOffset: Int
    var shape: [Int]
    /// Element strides per axis.
    var strides: [Int]
}

/// A numpy array rebuilt from `numpy.core.multiarray._reconstruct` and its BUILD state; its bytes
/// were inside the pickle.
struct NumpyArray: Equatable {
    var descr: String
    var shape: [Int]
    var fortranOrder: Bool
    var data: [UInt8]
}
