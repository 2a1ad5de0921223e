/// What REDUCE and BUILD do for the globals ``Unpickler`` allows: each rebuilds a tensor, a
/// numpy array, a dtype, an `OrderedDict` or bytes from plain values, and checks every argument.
enum PickleRebuild {
    /// The most dimensions a rebuilt tensor or array may have.
    static let maxRank = 16

    /// REDUCE: `name(*args)`.
    static func call(_ name: String, _ args: [PickleValue], path: String) throws -> PickleValue {
        switch name {
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            return .tensor(try tensor(args, path: path))
        case "torch._utils._rebuild_parameter":
            guard case .tensor(let data)? = args.first else { throw bad(name, path) }
            return .tensor(data)
        case "collections.OrderedDict":
            let dict = PickleDict()
            if case .list(let list)? = args.first {
                for item in list.items {
                    guard case .tuple(let pairTuple) = item, case let pair = pairTuple.items, pair.count == 2 else { throw bad(name, path) }
                    dict.pairs.append((pair[0], pair[1]))
                }
            } else if !args.isEmpty {
                throw bad(name, path)
            }
            return .dict(dict)
        case "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct":
            guard args.count == 3, case .global("numpy.ndarray") = args[0] else { throw bad(name, path) }
            return .ndarray(NumpyArray(descr: "", shape: [], fortranOrder: false, data: []))
        case "numpy.dtype":
            guard case .string(let code)? = args.first else { throw bad(name, path) }
            return .dtype(code)
        case "_codecs.encode":
            // How protocol 2 pickles bytes: encode(str(bytes, 'latin1'), 'latin1').
            guard args.count == 2, case .string(let text) = args[0], case .string(let codec) = args[1], ["latin1", "latin-1"].contains(codec)
            else { throw bad(name, path) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.unicodeScalars.count)
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw bad(name, path) }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        case "builtins.bytes", "__builtin__.bytes":
            guard args.isEmpty else { throw bad(name, path) }
            return .bytes([])
        default:
            throw SteerError.unsupported(path, "pickle calls '\(name)', which steer does not rebuild")
        }
    }

    /// BUILD: sets the state of a numpy dtype or array (other objects take no state).
    static func build(_ target: PickleValue, state: PickleValue, path: String) throws -> PickleValue {
        switch target {
        case .dtype(let code):
            // (version, byte order, subarray, names, fields, elsize, alignment, flags)
            guard case .tuple(let itemsTuple) = state, case let items = itemsTuple.items, items.count >= 2, case .string(let order) = items[1] else {
                throw SteerError.format(path, "pickle sets an unreadable numpy.dtype state")
            }
            if items.count >= 4, case .none = items[3] {
            } else if items.count >= 4 {
                throw SteerError.unsupported(path, "structured numpy dtype in a pickle (steer reads plain float arrays)")
            }
            return .dtype(order + code)
        case .ndarray:
            return .ndarray(try array(state, path: path))
        case .dict:
            guard case .none = state else { throw SteerError.unsupported(path, "pickle sets the state of a dict") }
            return target
        case .tensor:
            // torch >= 2 may BUILD a tensor with (hooks/state) after _rebuild_tensor_v2; a plain tensor's state is empty.
            return target
        default:
            throw SteerError.unsupported(path, "pickle sets the state of a \(target.kind)")
        }
    }

    private static func bad(_ name: String, _ path: String) -> SteerError {
        SteerError.format(path, "pickle calls '\(name)' with arguments it never takes")
    }

    /// `(storage, storage_offset, size, stride, ...)`.
    private static func tensor(_ args: [PickleValue], path: String) throws -> TorchTensor {
        guard args.count >= 4, case .storage(let storage) = args[0], case .int(let offset) = args[1] else {
            throw bad("torch._utils._rebuild_tensor_v2", path)
        }
        let shape = try integers(args[2], path: path)
        let strides = try integers(args[3], path: path)
        guard shape.count == strides.count, offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw SteerError.format(
                path, "tensor with storage offset \(offset), size \(describeShape(shape)) and stride \(describeShape(strides)) is not a valid view")
        }
        return TorchTensor(storage: storage, storageOffset: offset, shape: shape, strides: strides)
    }

    /// A tuple of at most ``maxRank`` ints (a torch.Size or a numpy shape).
    static func integers(_ value: PickleValue, path: String) throws -> [Int] {
        guard case .tuple(let itemsTuple) = value, case let items = itemsTuple.items, items.count <= maxRank else {
            throw SteerError.format(path, "pickle has a \(value.kind) where a shape tuple belongs")
        }
        return try items.map { item in
            guard case .int(let n) = item else { throw SteerError.format(path, "pickle shape holds a \(item.kind)") }
            return n
        }
    }

    /// numpy's `ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata))`.
    private static func array(_ state: PickleValue, path: String) throws -> NumpyArray {
        guard case .tuple(let itemsTuple) = state, case let items = itemsTuple.items, items.count == 5, case .dtype(let descr) = items[2],
            case .bool(let fortran) = items[3]
        else {
            throw SteerError.format(path, "pickle sets an unreadable numpy array state")
        }
        let shape = try integers(items[1], path: path)
        guard case .bytes(let data) = items[4] else {
            throw SteerError.unsupported(path, "numpy array of Python objects in a pickle; steer never rebuilds objects")
        }
        return NumpyArray(descr: descr, shape: shape, fortranOrder: fortran, data: data)
    }
}
