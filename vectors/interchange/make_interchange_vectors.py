#!/usr/bin/env python3
"""Writes steer's interchange fixtures: torch .pt, numpy .npz and control-vector GGUF files,
hostile pickles and damaged files, with the values they must read as.

Run from the repository root:   python3 vectors/interchange/make_interchange_vectors.py
Needs torch (the CPU wheel), numpy and gguf; repeng too for the repeng-exported control vector
(skipped with a note when it is missing). Everything it writes is committed and small.

Writes vectors/interchange/
  direction.pt         a 16-value direction saved as a view (row 2) of a [4, 16] storage
  mean_diffs.pt        float64 [5, L, d] mean differences (the refusal-direction study's layout)
  acts_bf16.pt / acts_f16.pt    [N, L, d] activations in bf16 / f16
  layers_dict.pt       {"layer.0": [N, d], ...} plus a string and an int (metadata)
  layers_legacy.pt     the same dict, legacy serialization (_use_new_zipfile_serialization=False)
  tl_cache.pt          a TransformerLens-style cache: blocks.{i}.hook_resid_post [N, d], hook_embed
  nested.pt            {"directions": {"12": t, "13": t}, "note": "..."} (names joined with '.')
  transposed.pt        a non-contiguous [d, N] view (copied by steer)
  numpy_array.pt       torch.save of a numpy float32 [L, d] array (the seed paper's way)
  acts_stored.npz / acts_deflated.npz   np.savez / np.savez_compressed of layer.{i} [N, d]
  repeng.gguf          repeng's ControlVector.export_gguf of known directions (model_type llama)
  steering.gguf        the gguf package's writer: arch steeringvector, layer_count as i32
  hostile/*.pt         pickles that would create /tmp/steer-interchange-marker-* if run
  bad/*                damaged inputs, each refused with one line
  expected.json        the values (float64) every file must read as
"""
import io, json, os, struct, zipfile
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
N, L, D = 4, 6, 16
rng = np.random.default_rng(10)
expected = {"N": N, "L": L, "d": D}


def out(name):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def values(t):
    return np.asarray(t.detach().to(torch.float64) if isinstance(t, torch.Tensor) else t, dtype=np.float64).reshape(-1).tolist()


# ---------------------------------------------------------------- torch files
big = torch.tensor(rng.standard_normal((4, D)), dtype=torch.float32)
direction = big[2]
assert direction.storage_offset() == 2 * D
torch.save(direction, out("direction.pt"))
expected["direction"] = values(direction)

mean_diffs = torch.tensor(rng.standard_normal((5, L, D)), dtype=torch.float64)
torch.save(mean_diffs, out("mean_diffs.pt"))
expected["mean_diffs"] = values(mean_diffs)

acts = torch.tensor(rng.standard_normal((N, L, D)), dtype=torch.float32)
for dtype, name in [(torch.bfloat16, "acts_bf16.pt"), (torch.float16, "acts_f16.pt")]:
    t = acts.to(dtype)
    torch.save(t, out(name))
    expected[name] = values(t)

layers = {f"layer.{i}": torch.tensor(rng.standard_normal((N, D)), dtype=torch.float32) for i in range(L)}
layers_obj = dict(layers, model="tiny-test", n_prompts=N)
torch.save(layers_obj, out("layers_dict.pt"))
torch.save(layers_obj, out("layers_legacy.pt"), _use_new_zipfile_serialization=False)
expected["layers"] = {k: values(v) for k, v in layers.items()}

cache = {f"blocks.{i}.hook_resid_post": v for i, v in enumerate(layers.values())}
cache["hook_embed"] = torch.zeros(N, D)
torch.save(cache, out("tl_cache.pt"))

nested = {"directions": {"12": big[0].clone(), "13": big[1].clone()}, "note": "nested"}
torch.save(nested, out("nested.pt"))
expected["nested"] = {"directions.12": values(big[0]), "directions.13": values(big[1])}

transposed = torch.tensor(rng.standard_normal((N, D)), dtype=torch.float32).t()
assert not transposed.is_contiguous()
torch.save(transposed, out("transposed.pt"))
expected["transposed"] = values(transposed.contiguous())

seed_dirs = rng.standard_normal((L, D)).astype(np.float32)
torch.save(seed_dirs, out("numpy_array.pt"))
expected["numpy_array"] = values(seed_dirs)

# ---------------------------------------------------------------- npz
npz = {f"layer.{i}": np.asarray(v) for i, v in layers.items()}
np.savez(out("acts_stored.npz"), **{k: v.numpy() for k, v in layers.items()})
np.savez_compressed(out("acts_deflated.npz"), **{k: v.numpy() for k, v in layers.items()})

# ---------------------------------------------------------------- control vectors
cv = {i: rng.standard_normal(D).astype(np.float32) for i in (1, 2, 4)}
expected["control_vector"] = {str(i): values(v) for i, v in cv.items()}
try:
    from repeng import ControlVector

    ControlVector(model_type="llama", directions=cv).export_gguf(out("repeng.gguf"))
    expected["repeng"] = True
except ImportError:
    print("note: repeng is not installed; repeng.gguf not rewritten")

import gguf

w = gguf.GGUFWriter(out("steering.gguf"), "steeringvector")
w.add_string("steeringvector.model_hint", "mistral")
w.add_int32("steeringvector.layer_count", len(cv))
for i, v in cv.items():
    w.add_tensor(f"direction.{i}", v)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

# ---------------------------------------------------------------- hostile pickles
MARK = "/tmp/steer-interchange-marker-"


def torch_zip(name, pickle_bytes, records=None):
    with zipfile.ZipFile(out(name), "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", "little")
        for key, raw in (records or {}).items():
            z.writestr(f"archive/data/{key}", raw)
        z.writestr("archive/version", "3\n")


def unicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def call(module, name, *args):
    """GLOBAL module.name, MARK, args, TUPLE, REDUCE."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n(" + b"".join(args) + b"tR"


hostile = {
    "os_system": call("os", "system", unicode(f"touch {MARK}os_system")),
    "posix_system": call("posix", "system", unicode(f"touch {MARK}posix_system")),
    "builtins_eval": call("builtins", "eval", unicode(f"open('{MARK}builtins_eval', 'w')")),
    "subprocess_popen": call("subprocess", "Popen", b"(" + unicode("touch") + unicode(f"{MARK}subprocess_popen") + b"l"),
    # A __reduce__ chain: an allowed rebuild whose storage argument is itself a REDUCE of os.system.
    "reduce_chain": b"\x80\x02" + call("collections", "OrderedDict") + b"(" + unicode("w")
    + call("torch._utils", "_rebuild_tensor_v2", call("os", "system", unicode(f"touch {MARK}reduce_chain")), b"K\x00", b")", b")") + b"u",
}
for name, body in hostile.items():
    torch_zip(f"hostile/{name}.pt", b"\x80\x02" + body + b".")
# Legacy framing around a hostile object.
legacy_head = bytes([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E])
legacy_head += b"\x80\x02M\xe9\x03." + b"\x80\x02}(" + unicode("little_endian") + b"\x88u."
with open(out("hostile/legacy_os_system.pt"), "wb") as f:
    f.write(legacy_head + b"\x80\x02" + call("os", "system", unicode(f"touch {MARK}legacy_os_system")) + b".")
# Billion laughs: each list holds 10 references to the one before; 40 levels.
bomb = b"\x80\x02" + unicode("lol") + b"q\x00"
for level in range(1, 41):
    bomb += b"(" + (b"h" + bytes([level - 1])) * 10 + b"l" + b"q" + bytes([level])
torch_zip("hostile/billion_laughs.pt", bomb + b".")
# Deep nesting: 100,000 lists inside each other.
torch_zip("hostile/deep_nesting.pt", b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".")
# A string that claims 2^60 bytes.
torch_zip("hostile/huge_string.pt", b"\x80\x04\x8d" + struct.pack("<Q", 1 << 60) + b"abc.")

# ---------------------------------------------------------------- bad inputs
raw = open(out("direction.pt"), "rb").read()
open(out("bad/truncated_zip.pt"), "wb").write(raw[: len(raw) // 2])
with zipfile.ZipFile(out("direction.pt")) as z:
    members = {i.filename: z.read(i.filename) for i in z.infolist()}
with zipfile.ZipFile(out("bad/missing_storage.pt"), "w") as z:
    for k, v in members.items():
        if "/data/" not in k:
            z.writestr(k, v)
with zipfile.ZipFile(out("bad/short_storage.pt"), "w") as z:
    for k, v in members.items():
        z.writestr(k, v[: 4 * D] if "/data/" in k else v)
torch_zip("bad/unknown_opcode.pt", b"\x80\x02\xff.")
cvraw = open(out("steering.gguf"), "rb").read()
open(out("bad/wrong_magic.gguf"), "wb").write(b"GGUX" + cvraw[4:])
open(out("bad/tensor_count.gguf"), "wb").write(cvraw[:8] + struct.pack("<Q", 1 << 40) + cvraw[16:])
w = gguf.GGUFWriter(out("bad/mixed_width.gguf"), "controlvector")
w.add_uint32("controlvector.layer_count", 2)
w.add_tensor("direction.1", np.ones(D, dtype=np.float32))
w.add_tensor("direction.2", np.ones(D + 1, dtype=np.float32))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
w = gguf.GGUFWriter(out("bad/model.gguf"), "llama")
w.add_uint32("llama.block_count", 2)
w.add_tensor("token_embd.weight", np.ones((2, D), dtype=np.float32))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

with open(out("expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(HERE) for fn in fns)
print(f"wrote vectors/interchange ({total} bytes)")
