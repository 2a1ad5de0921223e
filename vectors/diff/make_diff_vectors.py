#!/usr/bin/env python3
"""Edits made the way other abliteration tools make them, for `steer diff` to recover.

Run from the repository root:  python3 vectors/diff/make_diff_vectors.py
Needs torch, safetensors, numpy. Reads the committed fixture models of vectors/orthogonalize/models
(never steer's code or output) and writes, under vectors/diff/ (about 400 kB, committed):

  models/<variant>/     config.json and model.safetensors of the edited copy of the base model
  expected.json         per variant: the base model, the unit direction removed (float64), λ, the
                        edited tensors and the form `steer diff` must name for each, the changed
                        tensors that are not projection edits

Each edit is computed as those tools compute it: in the model's dtype upcast to float32 (torch),
the result cast back (round to nearest even), with a direction of their own (a seeded normal
vector, unit in float32), not steer's:
  llama_plain            the refusal-direction study / FailSpy's abliterator: W ← W − u (uᵀW) on
                         o_proj and down_proj ([d, in]), E ← E − (E u) uᵀ on embed_tokens, every block
  llama_np_columns       the published norm-preserving abliteration (grimjim): per input column,
                         W_dir = normalize(W, dim=0); W_dir ← W_dir − λ u (uᵀW_dir); W ← ‖W‖_col ·
                         normalize(W_dir, dim=0); o_proj and down_proj, λ = 1
  llama_np_rows          the row variant: W ← W − λ u (uᵀW), then each row of the [out, in] matrix
                         rescaled to its old norm; λ = 0.7
  llama_noise            llama_plain, except block 0's o_proj, which gets a fine-tune's dense noise
                         instead (1e-3 · N(0, 1): must come out not_a_projection_edit), and block 1's
                         q_proj gets noise too (a changed tensor that writes nothing into the stream)
  gemma_bf16_low         BF16 Gemma 3, a tool that ignores the (1 + γ) norms: W ← W − λ u (uᵀW) with
                         λ = 0.2 (a kernel's tail: most of each change is below half a BF16 step),
                         o_proj and down_proj of every block
  gemma_bf16_np_columns  BF16 Gemma 3, grimjim's column norm-preserving edit at λ = 1, no (1 + γ)
"""
import json, os, shutil
import numpy as np
import torch
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.abspath(__file__))
BASES = os.path.join(ROOT, "..", "orthogonalize", "models")


def direction(seed, d):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(d, generator=g, dtype=torch.float32)
    return u / u.norm()


def plain(w, u, lam=1.0):
    """[d, in]: W − λ u (uᵀW), in float32."""
    w32 = w.float()
    return (w32 - lam * torch.outer(u, u @ w32)).to(w.dtype)


def embedding(e, u, lam=1.0):
    """[n, d] rows: E − λ (E u) uᵀ, in float32."""
    e32 = e.float()
    return (e32 - lam * torch.outer(e32 @ u, u)).to(e.dtype)


def np_columns(w, u, lam=1.0):
    """grimjim's norm-preserving abliteration, per input column."""
    w32 = w.float()
    norms = torch.norm(w32, dim=0, keepdim=True)
    direction_ = torch.nn.functional.normalize(w32, dim=0)
    projection = u @ direction_
    new = direction_ - lam * torch.outer(u, projection)
    new = torch.nn.functional.normalize(new, dim=0)
    return (norms * new).to(w.dtype)


def np_rows(w, u, lam):
    w32 = w.float()
    norms = torch.norm(w32, dim=1, keepdim=True)
    new = w32 - lam * torch.outer(u, u @ w32)
    return (new * norms / torch.norm(new, dim=1, keepdim=True)).to(w.dtype)


def writers(state, layers):
    return [f"model.layers.{n}.{part}" for n in range(layers) for part in ("self_attn.o_proj.weight", "mlp.down_proj.weight")]


def write(variant, base, state, expected):
    out = os.path.join(ROOT, "models", variant)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    shutil.copy(os.path.join(BASES, base, "config.json"), out)
    save_file({k: v.contiguous() for k, v in state.items()}, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    expected["base"] = base
    return expected


def main():
    expected = {}
    # ---- llama, F32
    base = load_file(os.path.join(BASES, "llama", "model.safetensors"))
    d, layers = base["model.embed_tokens.weight"].shape[1], 2
    u = direction(101, d)
    uu = u.double().tolist()

    s = dict(base)
    for name in writers(s, layers):
        s[name] = plain(s[name], u)
    s["model.embed_tokens.weight"] = embedding(s["model.embed_tokens.weight"], u)
    forms = {n: "plain" for n in writers(s, layers) + ["model.embed_tokens.weight"]}
    expected["llama_plain"] = write("llama_plain", "llama", s, {"direction": uu, "lambda": 1.0, "forms": forms, "other": []})

    s = dict(base)
    for name in writers(s, layers):
        s[name] = np_columns(s[name], u)
    expected["llama_np_columns"] = write(
        "llama_np_columns", "llama", s,
        {"direction": uu, "lambda": 1.0, "forms": {n: "norm_preserving_columns" for n in writers(s, layers)}, "other": []})

    s = dict(base)
    for name in writers(s, layers):
        s[name] = np_rows(s[name], u, 0.7)
    expected["llama_np_rows"] = write(
        "llama_np_rows", "llama", s,
        {"direction": uu, "lambda": 0.7, "forms": {n: "norm_preserving_rows" for n in writers(s, layers)}, "other": []})

    s = dict(base)
    for name in writers(s, layers):
        s[name] = plain(s[name], u)
    s["model.embed_tokens.weight"] = embedding(s["model.embed_tokens.weight"], u)
    g = torch.Generator().manual_seed(7)
    noisy = "model.layers.0.self_attn.o_proj.weight"
    s[noisy] = base[noisy] + 1e-3 * torch.randn(base[noisy].shape, generator=g)
    q = "model.layers.1.self_attn.q_proj.weight"
    s[q] = s[q] + 1e-3 * torch.randn(s[q].shape, generator=g)
    forms = {n: "plain" for n in writers(s, layers) + ["model.embed_tokens.weight"]}
    forms[noisy] = "not_a_projection_edit"
    expected["llama_noise"] = write("llama_noise", "llama", s, {"direction": uu, "lambda": 1.0, "forms": forms, "other": [q]})

    # ---- Gemma 3, BF16, the (1 + γ) norms ignored
    base = load_file(os.path.join(BASES, "gemma3_bf16", "model.safetensors"))
    d = base["model.embed_tokens.weight"].shape[1]
    u = direction(202, d)
    uu = u.double().tolist()
    s = dict(base)
    for name in writers(s, layers):
        s[name] = plain(s[name], u, 0.2)
    expected["gemma_bf16_low"] = write(
        "gemma_bf16_low", "gemma3_bf16", s, {"direction": uu, "lambda": 0.2, "forms": {n: "plain" for n in writers(s, layers)}, "other": []})
    s = dict(base)
    for name in writers(s, layers):
        s[name] = np_columns(s[name], u)
    expected["gemma_bf16_np_columns"] = write(
        "gemma_bf16_np_columns", "gemma3_bf16", s,
        {"direction": uu, "lambda": 1.0, "forms": {n: "norm_preserving_columns" for n in writers(s, layers)}, "other": []})

    with open(os.path.join(ROOT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
