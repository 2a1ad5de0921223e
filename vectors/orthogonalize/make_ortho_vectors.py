#!/usr/bin/env python3
"""Reference fixtures for `steer orthogonalize` (weight orthogonalization), made with transformers.

Run from the repository root:  python3 vectors/orthogonalize/make_ortho_vectors.py [MODEL ...]
(with model names, only those models, their expected tensors and their ortho.json entries are
(re)written; the directions, the basis and the other models are left as they are)
Needs torch, transformers, safetensors, numpy. Everything it writes is committed (well under 2 MB).

Writes, under vectors/orthogonalize/:
  models/llama/                 LlamaForCausalLM, F32, one model.safetensors, untied
  models/qwen2_tied_sharded/    Qwen2ForCausalLM, F32, tied embeddings, saved in shards (index)
  models/gemma3_bf16/           Gemma3ForCausalLM (gemma3_text), BF16, tied, random (1+γ) norms
  models/qwen2_moe/             Qwen2MoeForCausalLM, F32: 4 experts and a shared expert per block (their down_proj edited)
  models/mistral_f16/           MistralForCausalLM, F16
  models/gpt2/                  GPT2LMHeadModel, F32 (Conv1D [in, out] weights, wpe, biases), tied
  models/gpt_oss_bf16/          GptOssForCausalLM, BF16: fused experts mlp.experts.down_proj [E, in, d]
                                (x @ W[e], rows) and down_proj_bias [E, d], o_proj bias, sinks
  models/llama4_text/           Llama4ForCausalLM, F32, 3 blocks (0 and 2 MoE: fused feed_forward.experts.down_proj
                                [E, in, d] (bmm, rows) and shared_expert.down_proj; 1 dense feed_forward.down_proj)
  models/qwen2_moe_fused/       Qwen2MoeForCausalLM saved with save_original_format=False: mlp.experts.down_proj
                                fused [E, d, in] (F.linear per expert, output rows)
  directions.safetensors        steer's directions layout: F32 `layer.{slot}` [32], slots 0..3,
                                steer.kind=directions, steer.layer_convention=hf_hidden_states
  expected/<model>_<choice>.safetensors   (choice: layer1 = `--layer 1`; per_layer for the 3-block models)
                                the edited residual writers in the model's dtype, computed in float64
                                from the stored values (plain variant, strength 1) and rounded once
  basis.safetensors             a rank-2 basis at slot 1 (steer svd's layout: F32 `layer.1` [2, 32], steer.kind=basis)
  expected/{llama,gemma3_bf16}_basis2.safetensors   the edit with that basis (`--layer 1`, I − QQᵀ)
  expected/{llama,gemma3_bf16}_lora.safetensors    the `--layer 1 --as-lora` adapter tensors (PEFT names, F64)
  expected/{llama,gpt2}_np_{columns,rows}, gpt_oss_bf16_np_rows, qwen2_moe_fused_np_columns   `--layer 1 --norm-preserve columns|rows`
                                (fused expert tensors: each expert's slice as its own tensor)
  directions_means.safetensors  the same directions plus the class means `steer extract --keep-means` keeps:
                                F32 `mean.positive.{slot}` / `mean.negative.{slot}` [32], slots 0..3 (deterministic
                                random harmless means with a large component along each direction), steer.class_means
  expected/{llama,gemma3_bf16}_{projected,biprojected}.safetensors   `--layer 1 --direction-variant projected|biprojected`:
                                r̂ ← normalize(r̂ − (r̂·â)â), â the unit harmless mean of slot 1 (projected) or of
                                each writer's block-output slot (biprojected: embedding 0, block N N + 1)
  expected/llama_basis2_projected.safetensors   the rank-2 basis, each row projected off â of slot 1, re-orthonormalized
  (`--variants` writes only these, from the committed models, changing nothing else but ortho.json's
  projected_* keys; `--variant-check` writes only those keys)
  ortho.json                    per model and choice: the largest |h · r̂| / ‖h‖ over tokens at the
                                output of every block, for the original model and for the edited
                                one loaded back in transformers (and, for Gemma, edited without the
                                (1 + γ) correction, which must not be ~0); for llama and gemma3_bf16 also
                                the projected edit loaded back: projected_refined, along the refined unit
                                direction normalize(r̂ − (r̂·â)â) (â of slot 1; must be ~0), and
                                projected_original, along r̂ itself (the edit keeps r̂'s part along â: not ~0),
                                and original_refined, the unedited model along the refined direction
"""
import json, os, shutil
import numpy as np
import torch
from safetensors.torch import load_file, save_file
import transformers as tf

ROOT = os.path.dirname(os.path.abspath(__file__))
D = 32
torch.manual_seed(0)
rng = np.random.default_rng(0)

DIRECTIONS = {s: rng.standard_normal(D) for s in range(4)}
BASIS = np.ascontiguousarray(np.linalg.qr(rng.standard_normal((D, 2)))[0].T)  # slot 1, k = 2 (rows orthonormal before F32 rounding)
# Class means for the projected variants, from their own generator (nothing above changes): the harmless
# mean has a large component along the direction (cos ~ 0.5), the harmful one is it plus the direction.
_means_rng = np.random.default_rng(11)
HARMLESS = {s: _means_rng.standard_normal(D) + 0.8 * DIRECTIONS[s] for s in range(4)}
HARMFUL = {s: HARMLESS[s] + DIRECTIONS[s] for s in range(4)}


def write_directions(path):
    tensors = {f"layer.{s}": torch.tensor(v, dtype=torch.float32) for s, v in DIRECTIONS.items()}
    save_file(tensors, path, metadata={"steer.kind": "directions", "steer.layer_convention": "hf_hidden_states"})


def write_directions_means(path):
    tensors = {f"layer.{s}": torch.tensor(v, dtype=torch.float32) for s, v in DIRECTIONS.items()}
    tensors.update({f"mean.positive.{s}": torch.tensor(v, dtype=torch.float32) for s, v in HARMFUL.items()})
    tensors.update({f"mean.negative.{s}": torch.tensor(v, dtype=torch.float32) for s, v in HARMLESS.items()})
    save_file(tensors, path, metadata={"steer.kind": "directions", "steer.layer_convention": "hf_hidden_states",
                                       "steer.class_means": "mean.positive.{slot},mean.negative.{slot}"})


def stored_harmless(slot):
    """The unit harmless mean â as steer reads it: the F32 value widened."""
    return unit(torch.tensor(HARMLESS[slot], dtype=torch.float32).double().numpy())


def projected_rows(q, slot):
    """Each row of q with â (the harmless mean of `slot`) projected out, re-orthonormalized:
    r̂ ← normalize(r̂ − (r̂·â)â) for one row; an orthonormal basis of (I − ââᵀ)Qᵀ for several."""
    a = torch.tensor(stored_harmless(slot)).reshape(1, -1)
    p = q - (q @ a.T) @ a
    if p.shape[0] == 1:
        return p / p.norm()
    return orthonormal_rows(p)


def write_basis(path):
    save_file({"layer.1": torch.tensor(BASIS, dtype=torch.float32)}, path,
              metadata={"steer.kind": "basis", "steer.layer_convention": "hf_hidden_states"})


def orthonormal_rows(rows):
    """An orthonormal basis (rows) of the span of `rows` (float64); the projector does not depend on which."""
    return torch.linalg.qr(torch.as_tensor(rows, dtype=torch.float64).T)[0].T


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def stored_direction(slot):
    """The direction as steer reads it: the F32 value widened."""
    return unit(torch.tensor(DIRECTIONS[slot], dtype=torch.float32).double().numpy())


# ------------------------------------------------------------------ which tensors write, and how
def writers(kind, state, layers):
    """(name, block or None, orientation, gemma norm name or None) for every residual writer."""
    out = []
    if kind == "gpt2":
        out += [("transformer.wte.weight", None, "rows", None), ("transformer.wpe.weight", None, "rows", None)]
        for n in range(layers):
            for part in ("attn", "mlp"):
                out += [(f"transformer.h.{n}.{part}.c_proj.weight", n, "rows", None), (f"transformer.h.{n}.{part}.c_proj.bias", n, "rows", None)]
        return out
    out.append(("model.embed_tokens.weight", None, "rows", None))
    mlp = "feed_forward" if kind == "llama4" else "mlp"
    for n in range(layers):
        experts = sorted(k for k in state if k.startswith(f"model.layers.{n}.{mlp}.") and
                         (".experts." in k or ".shared_expert." in k) and k.endswith(".down_proj.weight"))
        for name, norm in ((f"model.layers.{n}.self_attn.o_proj.weight", f"model.layers.{n}.post_attention_layernorm.weight"),
                           (f"model.layers.{n}.{mlp}.down_proj.weight", f"model.layers.{n}.post_feedforward_layernorm.weight"),
                           *((e, None) for e in experts)):
            if name not in state:
                continue
            out.append((name, n, "output_rows", norm if kind == "gemma" else None))
            bias = name[: -len("weight")] + "bias"
            if bias in state:
                out.append((bias, n, "rows", None))
        # Fused experts, the orientation from the architecture's forward (transformers 5.24):
        # gpt-oss `x @ down_proj[e] + down_proj_bias[e]` and Llama 4 `bmm(x, down_proj)`: [E, in, d], rows;
        # Mixtral / Qwen2-MoE / Qwen3-MoE `F.linear(x, down_proj[e])`: [E, d, in], output rows.
        fused = f"model.layers.{n}.{mlp}.experts.down_proj"
        if fused in state:
            out.append((fused, n, "rows" if kind in ("gpt_oss", "llama4") else "output_rows", None))
        if fused + "_bias" in state:
            out.append((fused + "_bias", n, "rows", None))
    return out


def is_fused(name):
    """Whether `name` is a fused expert tensor (the expert on its leading dimension)."""
    return name.endswith(".experts.down_proj") or name.endswith(".experts.down_proj_bias")


def lora(state, kind, layers):
    """The `--layer 1 --as-lora` adapter in PEFT's names, float64: B = −Uᵀ, A = U W (lora_A/lora_B for
    the [d, in] writers; lora_embedding_A = U Eᵀ, lora_embedding_B = −Uᵀ for the embedding)."""
    result = {}
    q = torch.tensor(stored_direction(1)).reshape(1, -1)
    for name, block, orientation, norm in writers(kind, state, layers):
        u = orthonormal_rows((1 + state[norm].double()) * q) if norm else q
        w = state[name].double()
        module = "base_model.model." + name[: -len(".weight")]
        if orientation == "output_rows":
            result[module + ".lora_A.weight"] = (u @ w).contiguous()
            result[module + ".lora_B.weight"] = (-u.T).contiguous()
        else:
            result[module + ".lora_embedding_A"] = (u @ w.T).contiguous()
            result[module + ".lora_embedding_B"] = (-u.T).contiguous()
    return result


def rescaled(w, w2, dim):
    """w2 with each slice along `dim` (0: columns, 1: rows) rescaled to its norm in w (zero slices kept)."""
    before, after = w.norm(dim=dim, keepdim=True), w2.norm(dim=dim, keepdim=True)
    return w2 * torch.where((after > 1e-150) & (before > 0), before / after, torch.ones_like(after))


def edit(state, kind, layers, choice, correct=True, preserve=None, variant=None):
    """The plain edit (strength 1) in float64 from the stored values, rounded once to the stored dtype:
    W' = W − Uᵀ(U W) for [d, in] matrices, e' = e − Uᵀ(U e) per row, with U = r̂ (one direction) or an
    orthonormal basis of the F32-stored basis rows (choice "basis2"), and for Gemma's normed writers an
    orthonormal basis of (1 + γ) ⊙ those rows. With variant "projected" the rows are first projected
    off the harmless mean of the direction's slot (slot 1 for "basis2"), with "biprojected" off that of
    the writer's block-output slot (HF: embedding 0, block N N + 1)."""
    result = {}
    for name, block, orientation, norm in writers(kind, state, layers):
        if choice == "basis2":
            slot = 1
            q = orthonormal_rows(torch.tensor(BASIS, dtype=torch.float32).double())
        else:
            slot = choice if isinstance(choice, int) else (0 if block is None else block + 1)
            q = torch.tensor(stored_direction(slot)).reshape(1, -1)
        if variant == "projected":
            q = projected_rows(q, slot)
        elif variant == "biprojected":
            q = projected_rows(q, 0 if block is None else block + 1)
        u = q
        if norm is not None and correct:
            u = orthonormal_rows((1 + state[norm].double()) * q)
        w = state[name].double()
        # A fused expert tensor: each expert's slice [e] edited as that expert's own tensor.
        slices = list(w) if is_fused(name) else [w]
        result[name] = rounded(torch.stack([edit_one(x, orientation, u, preserve) for x in slices]).reshape(w.shape), state[name].dtype)
    return result


def rounded(w, dtype):
    """float64 → dtype rounded once to nearest even. torch goes float64 → float32 → bfloat16, which can
    round twice; rounding to odd in float32 first makes the second rounding the correct one."""
    if dtype != torch.bfloat16:
        return w.to(dtype).contiguous()
    f = w.float()
    toward_zero = torch.where(f.double().abs() > w.abs(), torch.nextafter(f, torch.zeros_like(f)), f)
    bits = toward_zero.view(torch.int32)
    odd = torch.where(toward_zero.double() != w, bits | 1, bits).view(torch.float32)
    return odd.to(torch.bfloat16).contiguous()


def edit_one(w, orientation, u, preserve):
    if orientation == "output_rows":
        w2 = w - u.T @ (u @ w)
        # columns: what input unit j writes (column j) keeps its norm; rows: each output unit (row).
        if preserve:
            w2 = rescaled(w, w2, 0 if preserve == "columns" else 1)
        return w2
    flat = w.reshape(-1, w.shape[-1])
    w2 = flat - (flat @ u.T) @ u
    # columns: each stored row (what a token or input unit writes); rows: each output unit (stored column).
    if preserve:
        w2 = rescaled(flat, w2, 1 if preserve == "columns" else 0)
    return w2.reshape(w.shape)


# ------------------------------------------------------------------ the models
def make_models(only=None):
    common = dict(vocab_size=64, hidden_size=D, intermediate_size=48, num_attention_heads=4, num_key_value_heads=2,
                  max_position_embeddings=32)
    specs = {
        "llama": ("llama", tf.LlamaForCausalLM(tf.LlamaConfig(num_hidden_layers=2, tie_word_embeddings=False, **common)), torch.float32, None),
        "qwen2_tied_sharded": ("llama", tf.Qwen2ForCausalLM(tf.Qwen2Config(num_hidden_layers=3, tie_word_embeddings=True, **common)), torch.float32, "40KB"),
        "gemma3_bf16": ("gemma", tf.Gemma3ForCausalLM(tf.Gemma3TextConfig(num_hidden_layers=2, head_dim=8, sliding_window=8, **common)), torch.bfloat16, None),
        "gpt2": ("gpt2", tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=64, n_embd=D, n_layer=3, n_head=4, n_positions=32, bos_token_id=0, eos_token_id=0)), torch.float32, None),
        # made last, from its own seed, so that adding it changed none of the models above
        "qwen2_moe": ("llama", lambda: tf.Qwen2MoeForCausalLM(tf.Qwen2MoeConfig(num_hidden_layers=2, moe_intermediate_size=16, shared_expert_intermediate_size=24,
                                                                         num_experts=4, num_experts_per_tok=2, tie_word_embeddings=False, **common)), torch.float32, None),
        "mistral_f16": ("llama", lambda: tf.MistralForCausalLM(tf.MistralConfig(num_hidden_layers=2, tie_word_embeddings=False, **common)),
                        torch.float16, None),
        # fused expert tensors, each from its own seed
        "gpt_oss_bf16": ("gpt_oss", lambda: tf.GptOssForCausalLM(tf.GptOssConfig(
            num_hidden_layers=2, head_dim=8, num_local_experts=4, num_experts_per_tok=2, sliding_window=4,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0}, tie_word_embeddings=False,
            **{**common, "intermediate_size": 16})), torch.bfloat16, None),
        "llama4_text": ("llama4", lambda: tf.Llama4ForCausalLM(tf.Llama4TextConfig(
            num_hidden_layers=3, head_dim=8, num_local_experts=4, num_experts_per_tok=1, moe_layers=[0, 2], intermediate_size_mlp=24,
            tie_word_embeddings=False, **{**common, "intermediate_size": 16})), torch.float32, None),
        "qwen2_moe_fused": ("llama", lambda: tf.Qwen2MoeForCausalLM(tf.Qwen2MoeConfig(
            num_hidden_layers=2, moe_intermediate_size=16, shared_expert_intermediate_size=24, num_experts=4, num_experts_per_tok=2,
            tie_word_embeddings=False, **common)), torch.float32, None),
    }
    seeds = {"gpt_oss_bf16": 2, "llama4_text": 3, "qwen2_moe_fused": 4}
    for name, (kind, model, dtype, shard) in specs.items():
        if only and name not in only:
            continue
        if callable(model) and not isinstance(model, torch.nn.Module):
            torch.manual_seed(seeds.get(name, 1))
            model = model()
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if ("norm" in pname and kind == "gemma") or pname.endswith("sinks"):
                    p.copy_(torch.randn_like(p) * 0.5)  # (1 + γ) far from 1: the correction matters
                elif "bias" in pname:  # gpt-oss down_proj_bias too
                    p.copy_(torch.randn_like(p) * 0.1)
        model = model.to(dtype).eval()
        path = os.path.join(ROOT, "models", name)
        shutil.rmtree(path, ignore_errors=True)
        kwargs = {"max_shard_size": shard} if shard else {}
        if name == "qwen2_moe_fused":
            kwargs["save_original_format"] = False  # transformers' own fused layout, [E, d, in]
        model.save_pretrained(path, **kwargs)
        yield name, kind, model.config, path


def load_state(path):
    state = {}
    for f in sorted(os.listdir(path)):
        if f.endswith(".safetensors"):
            state.update(load_file(os.path.join(path, f)))
    return state


def components(path, layers, kind, direction=None):
    """max over tokens of |h · r̂| / ‖h‖ at the output of each block, with the direction of slot 1
    (or the unit float64 `direction`, rounded to F32)."""
    model = tf.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    r = torch.tensor(stored_direction(1) if direction is None else direction, dtype=torch.float32)
    blocks = model.transformer.h if kind == "gpt2" else model.model.layers
    outs = []
    hooks = [b.register_forward_hook(lambda m, i, o: outs.append((o[0] if isinstance(o, tuple) else o).detach())) for b in blocks]
    ids = torch.tensor([[1, 5, 9, 17, 33, 2, 60, 7]])
    with torch.no_grad():
        model(ids)
    for h in hooks:
        h.remove()
    return [float(((h @ r).abs() / h.norm(dim=-1)).max()) for h in outs]


def main(only=None):
    os.makedirs(os.path.join(ROOT, "expected"), exist_ok=True)
    report = {}
    if only:
        report = read_report()
    else:
        write_directions(os.path.join(ROOT, "directions.safetensors"))
        write_basis(os.path.join(ROOT, "basis.safetensors"))
    for name, kind, config, path in make_models(only):
        state = load_state(path)
        layers = config.num_hidden_layers if kind != "gpt2" else config.n_layer
        entry = {"kind": kind, "layers": layers, "original": components(path, layers, kind)}
        for choice, label in ((1, "layer1"), ("per_layer", "per_layer")):
            if choice == "per_layer" and layers != 3:
                continue  # the directions have slots 0..3: per layer needs a 3-block model
            edited = edit(state, kind, layers, choice)
            save_file(edited, os.path.join(ROOT, "expected", f"{name}_{label}.safetensors"))
            if choice == 1:
                tied = getattr(config, "tie_word_embeddings", False)
                # An untied head keeps the original embedding: override every writer but leave lm_head as it was.
                entry["edited"] = components_edited(path, edited, kind, tied)
                if kind == "gemma":
                    entry["edited_uncorrected"] = components_edited(path, edit(state, kind, layers, 1, correct=False), kind, tied)
        # Fused experts: the variant where each expert's slice differs from the whole tensor (columns of
        # each [d, in] slice for output rows, the columns of each [in, d] slice for rows).
        variants = {"llama": ("columns", "rows"), "gpt2": ("columns", "rows"), "gpt_oss_bf16": ("rows",), "qwen2_moe_fused": ("columns",)}
        if name in variants:
            for preserve in variants[name]:
                save_file(edit(state, kind, layers, 1, preserve=preserve), os.path.join(ROOT, "expected", f"{name}_np_{preserve}.safetensors"))
        if name in ("llama", "gemma3_bf16"):
            save_file(lora(state, kind, layers), os.path.join(ROOT, "expected", f"{name}_lora.safetensors"))
            save_file(edit(state, kind, layers, "basis2"), os.path.join(ROOT, "expected", f"{name}_basis2.safetensors"))
        report[name] = entry
    write_variants(report)
    write_report(report)


def read_report():
    with open(os.path.join(ROOT, "ortho.json")) as f:
        return json.load(f)


def write_report(report):
    with open(os.path.join(ROOT, "ortho.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    print(json.dumps(report, indent=1, sort_keys=True))


def write_variants(report):
    """The projected and biprojected fixtures, from the models as saved (`--variants` runs only this),
    and their transformers check into `report` (variant_check)."""
    write_directions_means(os.path.join(ROOT, "directions_means.safetensors"))
    for name, kind in (("llama", "llama"), ("gemma3_bf16", "gemma")):
        path = os.path.join(ROOT, "models", name)
        state = load_state(path)
        layers = config_layers(path)
        for variant in ("projected", "biprojected"):
            save_file(edit(state, kind, layers, 1, variant=variant), os.path.join(ROOT, "expected", f"{name}_{variant}.safetensors"))
        if name == "llama":
            save_file(edit(state, kind, layers, "basis2", variant="projected"),
                      os.path.join(ROOT, "expected", f"{name}_basis2_projected.safetensors"))
    variant_check(report)


def refined_direction(slot=1):
    """The projected variant's unit direction for `slot`: normalize(r̂ − (r̂·â)â), float64."""
    return projected_rows(torch.tensor(stored_direction(slot)).reshape(1, -1), slot)[0].numpy()


def variant_check(report):
    """The `--layer 1 --direction-variant projected` edit of llama and gemma3_bf16 loaded back in
    transformers (`--variant-check` runs only this): the largest |h · d| / ‖h‖ over tokens at each
    block's output, d the refined direction (projected_refined, ~0) and r̂ itself (projected_original:
    the edit keeps r̂'s part along â, so not ~0), and the unedited model along d (original_refined)."""
    refined = refined_direction(1)
    for name, kind in (("llama", "llama"), ("gemma3_bf16", "gemma")):
        path = os.path.join(ROOT, "models", name)
        state = load_state(path)
        layers = config_layers(path)
        with open(os.path.join(path, "config.json")) as f:
            tied = json.load(f).get("tie_word_embeddings", False)
        edited = edit(state, kind, layers, 1, variant="projected")
        along_refined, along_original = components_edited(path, edited, kind, tied, [refined, stored_direction(1)])
        entry = report.setdefault(name, {})
        entry["projected_refined"] = along_refined
        entry["projected_original"] = along_original
        entry["original_refined"] = components(path, layers, kind, refined)
        entry["refined_cosine"] = float(refined @ stored_direction(1))


def components_edited(path, edited, kind, tied, directions=None):
    """Hidden-state components of the model with `edited` writers (and, when tied, an untied unedited
    head), saved as a model directory and loaded by transformers as any checkpoint (experts included):
    along r̂ of slot 1, or, given a list of unit float64 `directions`, one list per direction."""
    import tempfile
    state = load_state(path)
    if tied:
        embedding = "transformer.wte.weight" if kind == "gpt2" else "model.embed_tokens.weight"
        state["lm_head.weight"] = state[embedding].clone()
    state.update(edited)
    folder = tempfile.mkdtemp()
    save_file({k: v.contiguous() for k, v in state.items()}, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    config["tie_word_embeddings"] = False if tied else config.get("tie_word_embeddings", False)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)
    model = tf.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    blocks = model.transformer.h if kind == "gpt2" else model.model.layers
    outs = []
    hooks = [b.register_forward_hook(lambda m, i, o: outs.append((o[0] if isinstance(o, tuple) else o).detach())) for b in blocks]
    with torch.no_grad():
        model(torch.tensor([[1, 5, 9, 17, 33, 2, 60, 7]]))
    for h in hooks:
        h.remove()
    shutil.rmtree(folder, ignore_errors=True)

    def along(direction):
        r = torch.tensor(direction, dtype=torch.float32)
        return [float(((h @ r).abs() / h.norm(dim=-1)).max()) for h in outs]
    if directions is None:
        return along(stored_direction(1))
    return [along(d) for d in directions]


def check_steer(steer):
    """With --steer BINARY: runs steer orthogonalize on every model, loads each output in transformers
    and prints the hidden-state components and the largest difference from the expected tensors
    (nothing is written: the Swift tests compare against the fixtures themselves)."""
    import subprocess, tempfile
    directions = os.path.join(ROOT, "directions.safetensors")
    for name in sorted(os.listdir(os.path.join(ROOT, "models"))):
        path = os.path.join(ROOT, "models", name)
        kind = "gpt2" if name == "gpt2" else "gemma" if name.startswith("gemma") else name.split("_bf16")[0] if name.startswith("gpt_oss") else "llama4" if name.startswith("llama4") else "llama"
        for flag, label in ((["--layer", "1"], "layer1"), (["--per-layer"], "per_layer"), (["--layer", "1"], "basis2"),
                            (["--layer", "1", "--norm-preserve", "columns"], "np_columns"), (["--layer", "1", "--norm-preserve", "rows"], "np_rows")):
            if not os.path.exists(os.path.join(ROOT, "expected", f"{name}_{label}.safetensors")):
                continue
            out = tempfile.mkdtemp() + "/out"
            source = os.path.join(ROOT, "basis.safetensors") if label == "basis2" else directions
            subprocess.run([steer, "orthogonalize", "--model", path, "--directions", source, *flag, "--out", out, "--json"],
                           check=True, capture_output=True)
            expected = load_file(os.path.join(ROOT, "expected", f"{name}_{label}.safetensors"))
            got = load_state(out)
            worst = max(float((got[k].double() - v.double()).abs().max()) for k, v in expected.items())
            line = f"{name} {label}: max |steer - expected| = {worst:.3g}"
            if label == "layer1":
                model = tf.AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
                r = torch.tensor(stored_direction(1), dtype=torch.float32)
                blocks = model.transformer.h if kind == "gpt2" else model.model.layers
                outs = []
                hooks = [b.register_forward_hook(lambda m, i, o: outs.append((o[0] if isinstance(o, tuple) else o).detach())) for b in blocks]
                with torch.no_grad():
                    model(torch.tensor([[1, 5, 9, 17, 33, 2, 60, 7]]))
                line += "; loaded in transformers, |h.r|/|h| per block: " + ", ".join(f"{float(((h @ r).abs() / h.norm(dim=-1)).max()):.2e}" for h in outs)
            print(line)


def check_lora(steer):
    """With --steer BINARY --lora: writes `--as-lora` adapters for the Llama and Gemma models, loads
    each on the original model with PEFT, and prints the merged weights' largest difference from the
    float64 edit (relative to the tensor's largest value) and the hidden-state components."""
    import subprocess, tempfile
    from peft import PeftModel
    directions = os.path.join(ROOT, "directions.safetensors")
    for name, kind in (("llama", "llama"), ("gemma3_bf16", "gemma"), ("qwen2_tied_sharded", "llama")):
        path = os.path.join(ROOT, "models", name)
        out = tempfile.mkdtemp() + "/lora"
        subprocess.run([steer, "orthogonalize", "--model", path, "--directions", directions, "--layer", "1", "--as-lora", out],
                       check=True, capture_output=True)
        base = tf.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        model = PeftModel.from_pretrained(base, out).eval()
        r = torch.tensor(stored_direction(1), dtype=torch.float32)
        outs = []
        hooks = [b.register_forward_hook(lambda m, i, o: outs.append((o[0] if isinstance(o, tuple) else o).detach()))
                 for b in model.base_model.model.model.layers]
        with torch.no_grad():
            model(torch.tensor([[1, 5, 9, 17, 33, 2, 60, 7]]))
        for h in hooks:
            h.remove()
        merged = model.merge_and_unload().state_dict()
        state = load_state(path)
        exact = {}
        for wname, block, orientation, norm in writers(kind, state, config_layers(path)):
            q = torch.tensor(stored_direction(1)).reshape(1, -1)
            u = orthonormal_rows((1 + state[norm].double()) * q) if norm else q
            w = state[wname].double()
            exact[wname] = w - u.T @ (u @ w) if orientation == "output_rows" else w - (w @ u.T) @ u
        worst = max(float((merged[k].double() - v).abs().max() / v.abs().max()) for k, v in exact.items())
        print(f"{name} --as-lora: merged vs float64 edit {worst:.2g} of the largest value; |h.r|/|h| per block: "
              + ", ".join(f"{float(((h @ r).abs() / h.norm(dim=-1)).max()):.2e}" for h in outs))


def config_layers(path):
    with open(os.path.join(path, "config.json")) as f:
        return json.load(f)["num_hidden_layers"]


if __name__ == "__main__":
    import sys
    if "--variants" in sys.argv:
        report = read_report()
        write_variants(report)
        write_report(report)
    elif "--variant-check" in sys.argv:
        report = read_report()
        variant_check(report)
        write_report(report)
    elif "--steer" in sys.argv and "--lora" in sys.argv:
        check_lora(sys.argv[sys.argv.index("--steer") + 1])
    elif "--steer" in sys.argv:
        check_steer(sys.argv[sys.argv.index("--steer") + 1])
    else:
        main([a for a in sys.argv[1:] if not a.startswith("-")] or None)
