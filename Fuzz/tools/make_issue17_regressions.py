#!/usr/bin/env python3
"""Writes the byte-level regression inputs of issue 17 (hostile input, round 2) for the `pt` and
`npz` targets, and the choice strings of the `pt-struct` and `ortho-struct` targets that rebuild
the review's inputs. Pickles are written opcode by opcode (protocol 2); no torch or numpy needed.

    python3 Fuzz/tools/make_issue17_regressions.py      # from the repository root
"""
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def put(folder, name, data):
    path = os.path.join(ROOT, "regressions", folder)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as f:
        f.write(data)


def string(text):
    b = text.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def integer(n):
    return b"\x8a\x08" + struct.pack("<q", n)


def tup(items):
    return b"(" + b"".join(items) + b"t"


def glob(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def storage(key, count, legacy=False):
    items = [string("storage"), glob("torch", "FloatStorage"), string(key), string("cpu"), integer(count)]
    return tup(items + ([b"N"] if legacy else [])) + b"Q"


def tensor(st, offset, shape, stride):
    return glob("torch._utils", "_rebuild_tensor_v2") + tup([st, integer(offset), tup([integer(s) for s in shape]), tup([integer(s) for s in stride])]) + b"R"


def pickle(body):
    return b"\x80\x02" + body + b"."


def zip_archive(members, aliases=()):
    """members: (name, data, deflate); aliases: (name, index of the member whose bytes it reuses)."""
    out, central, headers = b"", b"", []
    for name, data, deflate in members:
        stored = zlib.compress(data, 9)[2:-4] if deflate else data
        method = 8 if deflate else 0
        headers.append((len(out), method, len(stored), len(data)))
        n = name.encode()
        out += struct.pack("<IHHHIIIIHH", 0x04034B50, 20, 0, method, 0, 0, len(stored), len(data), len(n), 0) + n + stored
    entries = [(m[0], i) for i, m in enumerate(members)] + list(aliases)
    for name, i in entries:
        offset, method, csize, size = headers[i]
        n = name.encode()
        central += struct.pack("<IHHHHIIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, csize, size, len(n), 0, 0, 0, 0, 0, offset) + n
    start = len(out)
    return out + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)


def torch_zip(body, storages):
    members = [("archive/data.pkl", pickle(body), False), ("archive/byteorder", b"little", False)]
    return zip_archive(members + [("archive/data/" + k, b, False) for k, b in storages])


def torch_legacy(body, storages):
    out = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"
    out += pickle(integer(1001)) + pickle(b"}(" + string("little_endian") + b"\x88u") + pickle(body)
    out += pickle(b"](" + b"".join(string(k) for k, _ in storages) + b"e")
    for _, b in storages:
        out += struct.pack("<Q", len(b) // 4) + b
    return out


def main():
    four = struct.pack("<4f", 1, 2, 3, 4)
    # 1. An empty view at offset 2^62: the byte range overflowed (SIGILL).
    empty = b"}(" + string("t") + tensor(storage("0", 4), 1 << 62, [0], [1]) + b"u"
    put("pt", "issue17-1-empty-view-2p62.pt", torch_zip(empty, [("0", four)]))
    empty_legacy = b"}(" + string("t") + tensor(storage("0", 4, legacy=True), 1 << 62, [0], [1]) + b"u"
    put("pt", "issue17-1-empty-view-2p62-legacy.pt", torch_legacy(empty_legacy, [("0", four)]))
    # 3. One stride-0 view of 64 MiB named 400 times through the memo: copied 400 times (25 GiB).
    view = tensor(storage("0", 4), 0, [1 << 24], [0]) + b"r" + struct.pack("<I", 1)
    shared = b"}(" + string("v0") + view + b"".join(string(f"v{k}") + b"j" + struct.pack("<I", 1) for k in range(1, 400)) + b"u"
    put("pt", "issue17-3-shared-stride0-view.pt", torch_zip(shared, [("0", four)]))
    # 3. 400 distinct stride-0 views: bounded by --max-expansion.
    distinct = b"}(" + b"".join(string(f"v{k}") + tensor(storage("0", 4), 0, [(1 << 24) - k], [0]) for k in range(400)) + b"u"
    put("pt", "issue17-3-distinct-stride0-views.pt", torch_zip(distinct, [("0", four)]))
    # 4. A 20 000-character key reused at 62 levels, 256 leaves at the bottom: gigabytes of names.
    leaf = tensor(storage("0", 4), 0, [4], [1]) + b"r" + struct.pack("<I", 2)
    bottom = b"}(" + string("0") + leaf + b"".join(string(str(i)) + b"j" + struct.pack("<I", 2) for i in range(1, 256)) + b"u"
    inner = bottom
    for _ in range(62):
        inner = b"}(" + b"j" + struct.pack("<I", 1) + inner + b"u"
    names = b"}(" + string("k" * 20000) + b"r" + struct.pack("<I", 1) + inner + b"u"
    put("pt", "issue17-4-long-key-62-levels.pt", torch_zip(names, [("0", four)]))
    # 5. One deflated member of 32 MiB of zeros, and 200 more directory entries pointing at it.
    n = 1 << 21
    header = ("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 4), }" % n).encode()
    header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(n * 16)
    put("npz", "issue17-5-shared-deflated-member.npz", zip_archive([("a.npy", npy, True)], [(f"b{k}.npy", 0) for k in range(200)]))
    # Choice strings (see Fuzz/Harness/TorchStruct.swift and OrthogonalizeStruct.swift for how they read).
    put("pt-struct", "issue17-3-shared-view", bytes([1, 0, 0, 3, 3, 0, 2, 0, 0, 250, 250, 12, 0, 1, 0, 1, 3, 10, 0]))
    put("ortho-struct", "issue17-2-total-size-intmax", bytes([1, 1, 1, 11, 0, 0, 0, 0]))
    put("ortho-struct", "issue17-7-config-fifo", bytes([0, 0, 5, 0, 0]))
    put("ortho-struct", "issue17-7-index-fifo", bytes([1, 0, 0, 6, 0, 0]))
    put("ortho-struct", "issue17-8-out-inside-model-force", bytes([0, 0, 0, 1, 1]))
    put("ortho-struct", "issue17-8-out-ancestor-force", bytes([0, 0, 0, 2, 1]))
    put("ortho-struct", "issue17-8-out-directions-force", bytes([0, 0, 0, 3, 1]))
    put("ortho-struct", "issue17-10-absolute-link", bytes([0, 0, 1, 0, 0]))
    put("ortho-struct", "issue17-11-recipe-without-shards", bytes([0, 0, 0, 0, 0, 1]))
    put("ortho-struct", "issue17-12-escaped-tie-key", bytes([0, 3, 0, 0, 0, 0]))
    put("ortho-struct", "issue17-12-tie-value-1", bytes([0, 4, 0, 0, 0, 0]))


if __name__ == "__main__":
    main()
