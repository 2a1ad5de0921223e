/// A restricted unpickler written for torch files: it rebuilds plain data, tensors and numpy
/// arrays, and nothing else. Loading a file never runs code.
///
/// It interprets the pickle opcodes of protocols 0 to 5 that torch and numpy emit (PROTO,
/// FRAME, MARK, the int, float, string and bytes forms, tuples, lists, dicts, memo PUT/GET,
/// GLOBAL / STACK_GLOBAL, REDUCE, BUILD, BINPERSID). A GLOBAL is looked up in ``allowed``
/// when it is *named*, before anything is called: `os.system`, `builtins.eval`,
/// `subprocess.Popen` and every other global stop the load there, with one line naming it.
/// REDUCE then only ever calls steer's own rebuilders of those globals.
///
/// Bounded: at most ``maxStack`` stack entries, ``maxMemo`` memo entries, ``maxItems`` container
/// items in all and ``maxTextBytes`` of strings and bytes in all; an opcode no torch file uses
/// (or an unknown one) is refused with its offset. Containers are shared references, as in
/// Python, so a "billion laughs" pickle builds a small graph; whoever walks it bounds the walk.
struct Unpickler {
    static let maxStack = 1 << 20
    static let maxMemo = 1 << 20
    static let maxItems = 1 << 24
    static let maxTextBytes = 1 << 30

    /// The globals a pickle may name.
    static let allowed: Set<String> = {
        var names: Set<String> = [
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
            "collections.OrderedDict", "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
            "numpy.ndarray", "numpy.dtype", "_codecs.encode", "builtins.bytes", "__builtin__.bytes",
        ]
        for name in TorchStorageType.known.keys { names.insert("torch.\(name)") }
        return names
    }()

    private var cursor: FileCursor
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var items = 0
    private var textBytes = 0
    private let persistentLoad: (PickleValue) throws -> PickleValue
    private var path: String { cursor.file.path }

    /// A pickle of `file` starting at `start` and ending at or before `end`.
    init(file: ReadOnlyFile, start: Int, end: Int, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        cursor = FileCursor(file: file, start: start, end: end)
        self.persistentLoad = persistentLoad
    }

    /// The offset right after the last STOP read.
    var position: Int { cursor.position }

    /// Runs the pickle to its STOP and hands the object it builds to `use`; afterwards every list
    /// and dict it made is emptied, so a self-referencing pickle leaks nothing.
    mutating func load<T>(_ use: (PickleValue) throws -> T) throws -> T {
        defer { breakCycles() }
        return try use(try load())
    }

    /// Empties every list and dict made so far (cycles among them would otherwise never be freed).
    mutating func breakCycles() {
        for list in lists { list.items = [] }
        for dict in dicts { dict.pairs = [] }
        lists = []
        dicts = []
    }

    private var lists: [PickleList] = []
    private var dicts: [PickleDict] = []

    private mutating func made(_ list: PickleList, _ at: Int) throws -> PickleValue {
        try count(items: 1, at)
        lists.append(list)
        return .list(list)
    }

    private mutating func made(_ dict: PickleDict, _ at: Int) throws -> PickleValue {
        try count(items: 1, at)
        dicts.append(dict)
        return .dict(dict)
    }

    /// Runs the pickle to its STOP and returns the object it builds (call ``breakCycles()`` when done with it).
    private mutating func load() throws -> PickleValue {
        stack.removeAll()
        marks.removeAll()
        memo.removeAll()
        while true {
            let at = cursor.position
            let op = try cursor.byte("a pickle opcode")
            if op == 0x2E {  // STOP
                guard let top = stack.popLast() else { throw malformed("STOP with an empty stack", at) }
                return top
            }
            try execute(op, at: at)
            guard stack.count + marks.count <= Self.maxStack else {
                throw SteerError.format(path, "pickle stack exceeds \(Self.maxStack) entries (a pickle bomb?)")
            }
        }
    }

    private func malformed(_ what: String, _ at: Int) -> SteerError {
        SteerError.format(path, "malformed pickle at offset \(at): \(what)")
    }

    private mutating func pop(_ at: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let top = stack.popLast() else { throw malformed("stack underflow", at) }
        return top
    }

    /// The values above the last MARK, removed with it.
    private mutating func popToMark(_ at: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw malformed("no MARK on the stack", at) }
        let values = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return values
    }

    private mutating func count(items n: Int, _ at: Int) throws {
        items += n
        guard items <= Self.maxItems else {
            throw SteerError.format(path, "pickle builds more than \(Self.maxItems) container items (a pickle bomb?)")
        }
    }

    private mutating func text(_ length: UInt64, _ at: Int) throws -> [UInt8] {
        guard let n = checkedInt(length), n <= cursor.remaining else {
            throw SteerError.format(path, "truncated pickle: a string of \(length) bytes at offset \(at) runs past the end")
        }
        textBytes += n
        guard textBytes <= Self.maxTextBytes else {
            throw SteerError.unsupported(path, "pickle holds more than \(Self.maxTextBytes) bytes of strings and bytes")
        }
        return try cursor.bytes(n, "a pickle string")
    }

    private mutating func line(_ at: Int) throws -> String {
        var bytes: [UInt8] = []
        while true {
            let b = try cursor.byte("a pickle text line")
            if b == 0x0A { break }
            bytes.append(b)
            guard bytes.count <= 4096 else { throw malformed("text line longer than 4096 bytes", at) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func memoize(_ key: Int, _ at: Int) throws {
        guard let top = stack.last else { throw malformed("PUT with an empty stack", at) }
        guard key >= 0, memo.count < Self.maxMemo || memo[key] != nil else {
            throw SteerError.format(path, "pickle memo exceeds \(Self.maxMemo) entries")
        }
        memo[key] = top
    }

    private mutating func fetch(_ key: Int, _ at: Int) throws {
        guard let value = memo[key] else { throw malformed("GET of memo entry \(key), which was never PUT", at) }
        stack.append(value)
    }

    private mutating func global(_ module: String, _ name: String, _ at: Int) throws {
        let dotted = "\(module).\(name)"
        guard Self.allowed.contains(dotted) else {
            let shown = dotted.count > 120 ? String(dotted.prefix(120)) + "…" : dotted
            throw SteerError.unsupported(
                path,
                "pickle refers to '\(shown)', which steer's safe loader does not allow (only tensors, numpy arrays and plain containers); nothing was run"
            )
        }
        stack.append(.global(dotted))
    }

    private mutating func execute(_ op: UInt8, at: Int) throws {
        switch op {
        case 0x80: _ = try cursor.byte("PROTO")  // PROTO n
        case 0x95: try cursor.skip(8, "FRAME")  // FRAME length
        case 0x28: marks.append(stack.count)  // MARK
        case 0x30: _ = try pop(at)  // POP
        case 0x31: _ = try popToMark(at)  // POP_MARK
        case 0x32:  // DUP
            guard let top = stack.last else { throw malformed("DUP with an empty stack", at) }
            stack.append(top)
        case 0x4E: stack.append(.none)  // N
        case 0x88: stack.append(.bool(true))
        case 0x89: stack.append(.bool(false))
        case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try cursor.unsigned(4, "BININT")))))
        case 0x4B: stack.append(.int(Int(try cursor.byte("BININT1"))))
        case 0x4D: stack.append(.int(Int(try cursor.unsigned(2, "BININT2"))))
        case 0x8A:  // LONG1: n little-endian two's-complement bytes
            let n = Int(try cursor.byte("LONG1"))
            stack.append(.int(try long(try cursor.bytes(n, "LONG1"), at)))
        case 0x8B:  // LONG4
            let n = try cursor.unsigned(4, "LONG4")
            guard n <= 8 else { throw SteerError.unsupported(path, "pickle integer of \(n) bytes at offset \(at) (steer reads 64-bit integers)") }
            stack.append(.int(try long(try cursor.bytes(Int(n), "LONG4"), at)))
        case 0x49, 0x4C:  // INT, LONG (text)
            var text = try line(at)
            if text.hasSuffix("L") { text.removeLast() }
            if text == "00" || text == "01" {
                stack.append(.bool(text == "01"))
            } else {
                guard let value = Int(text) else { throw malformed("integer '\(text.prefix(40))' out of range", at) }
                stack.append(.int(value))
            }
        case 0x47:  // BINFLOAT: big-endian double
            let raw = try cursor.bytes(8, "BINFLOAT")
            stack.append(.float(Double(bitPattern: raw.reduce(0) { $0 << 8 | UInt64($1) })))
        case 0x46:  // FLOAT (text)
            let text = try line(at)
            guard let value = Double(text) else { throw malformed("float '\(text.prefix(40))'", at) }
            stack.append(.float(value))
        case 0x58: stack.append(.string(String(decoding: try text(try cursor.unsigned(4, "BINUNICODE"), at), as: UTF8.self)))
        case 0x8C: stack.append(.string(String(decoding: try text(UInt64(try cursor.byte("SHORT_BINUNICODE")), at), as: UTF8.self)))
        case 0x8D: stack.append(.string(String(decoding: try text(try cursor.unsigned(8, "BINUNICODE8"), at), as: UTF8.self)))
        case 0x54: stack.append(.string(latin1(try text(try cursor.unsigned(4, "BINSTRING"), at))))
        case 0x55: stack.append(.string(latin1(try text(UInt64(try cursor.byte("SHORT_BINSTRING")), at))))
        case 0x42: stack.append(.bytes(try text(try cursor.unsigned(4, "BINBYTES"), at)))
        case 0x43: stack.append(.bytes(try text(UInt64(try cursor.byte("SHORT_BINBYTES")), at)))
        case 0x8E, 0x96: stack.append(.bytes(try text(try cursor.unsigned(8, "BINBYTES8"), at)))
        case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
        case 0x74:  // TUPLE
            let values = try popToMark(at)
            try count(items: values.count, at)
            stack.append(.tuple(values))
        case 0x85, 0x86, 0x87:  // TUPLE1..3
            let n = Int(op - 0x84)
            guard stack.count - n >= (marks.last ?? 0) else { throw malformed("TUPLE\(n) with \(stack.count) values on the stack", at) }
            let values = Array(stack.suffix(n))
            stack.removeLast(n)
            try count(items: n, at)
            stack.append(.tuple(values))
        case 0x5D: stack.append(try made(PickleList(), at))  // EMPTY_LIST
        case 0x6C:  // LIST
            let list = PickleList()
            list.items = try popToMark(at)
            try count(items: list.items.count, at)
            stack.append(try made(list, at))
        case 0x61:  // APPEND
            let value = try pop(at)
            try append([value], at)
        case 0x65: try append(try popToMark(at), at)  // APPENDS
        case 0x7D: stack.append(try made(PickleDict(), at))  // EMPTY_DICT
        case 0x64:  // DICT
            let values = try popToMark(at)
            let dict = PickleDict()
            try setItems(values, into: dict, at)
            stack.append(try made(dict, at))
        case 0x73:  // SETITEM
            let value = try pop(at)
            let key = try pop(at)
            guard case .dict(let dict)? = stack.last else { throw malformed("SETITEM on a \(stack.last?.kind ?? "missing value")", at) }
            try setItems([key, value], into: dict, at)
        case 0x75:  // SETITEMS
            let values = try popToMark(at)
            guard case .dict(let dict)? = stack.last else { throw malformed("SETITEMS on a \(stack.last?.kind ?? "missing value")", at) }
            try setItems(values, into: dict, at)
        case 0x63:  // GLOBAL "module\nname\n"
            let module = try line(at)
            try global(module, try line(at), at)
        case 0x93:  // STACK_GLOBAL
            let name = try pop(at)
            let module = try pop(at)
            guard case .string(let m) = module, case .string(let n) = name else { throw malformed("STACK_GLOBAL of non-strings", at) }
            try global(m, n, at)
        case 0x52:  // REDUCE
            let arguments = try pop(at)
            let callable = try pop(at)
            guard case .global(let name) = callable, case .tuple(let argsTuple) = arguments, case let args = argsTuple.items else {
                throw malformed("REDUCE of a \(callable.kind) with \(arguments.kind) arguments", at)
            }
            let rebuilt = try PickleRebuild.call(name, args, path: path)
            if case .dict(let dict) = rebuilt { dicts.append(dict) }
            stack.append(rebuilt)
        case 0x62:  // BUILD
            let state = try pop(at)
            let target = try pop(at)
            stack.append(try PickleRebuild.build(target, state: state, path: path))
        case 0x51:  // BINPERSID
            stack.append(try persistentLoad(try pop(at)))
        case 0x50:  // PERSID (text)
            stack.append(try persistentLoad(.string(try line(at))))
        case 0x71: try memoize(Int(try cursor.byte("BINPUT")), at)
        case 0x72: try memoize(Int(try cursor.unsigned(4, "LONG_BINPUT")), at)
        case 0x94: try memoize(memo.count, at)  // MEMOIZE
        case 0x70:
            guard let key = Int(try line(at)) else { throw malformed("PUT key", at) }
            try memoize(key, at)
        case 0x68: try fetch(Int(try cursor.byte("BINGET")), at)
        case 0x6A: try fetch(Int(try cursor.unsigned(4, "LONG_BINGET")), at)
        case 0x67:
            guard let key = Int(try line(at)) else { throw malformed("GET key", at) }
            try fetch(key, at)
        default:
            let hex = String(op, radix: 16, uppercase: true)
            throw SteerError.unsupported(
                path, "pickle opcode 0x\(hex.count == 1 ? "0" + hex : hex) at offset \(at) is unknown or not allowed in a tensor file")
        }
    }

    private mutating func append(_ values: [PickleValue], _ at: Int) throws {
        guard case .list(let list)? = stack.last else { throw malformed("APPEND to a \(stack.last?.kind ?? "missing value")", at) }
        try count(items: values.count, at)
        list.items += values
    }

    private mutating func setItems(_ values: [PickleValue], into dict: PickleDict, _ at: Int) throws {
        guard values.count % 2 == 0 else { throw malformed("odd number of values for SETITEMS", at) }
        try count(items: values.count / 2, at)
        for k in stride(from: 0, to: values.count, by: 2) { dict.pairs.append((values[k], values[k + 1])) }
    }

    private func long(_ bytes: [UInt8], _ at: Int) throws -> Int {
        guard bytes.count <= 8 else {
            throw SteerError.unsupported(path, "pickle integer of \(bytes.count) bytes at offset \(at) (steer reads 64-bit integers)")
        }
        guard let last = bytes.last else { return 0 }
        var value: UInt64 = last & 0x80 != 0 ? UInt64.max : 0
        for b in bytes.reversed() { value = value << 8 | UInt64(b) }
        return Int(bitPattern: UInt(value))
    }

    private func latin1(_ bytes: [UInt8]) -> String { String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })) }
}
