"""References for steer's interventions, greedy generation and evaluation (issue 21), from
transformers hooks on the tiny random models of vectors/make_runtime_vectors.py.

    /work/venv/bin/python vectors/make_intervention_vectors.py

For each model NAME (float32, read from vectors/runtime/NAME), vectors/intervention/NAME/ holds
- directions.safetensors: a random raw direction `layer.{s}` [d] for every hf_hidden_states slot
  (steer.layer_convention = hf_hidden_states) and basis.safetensors: `layer.1` [2, d];
- expected.safetensors: `batch{b}.{kind}` = logits [n, T, vocab] of every left-padded position
  of batch b (prompts of vectors/runtime/NAME/prompts.json), kind in
  base | ablate (slot 1's direction removed from the residual stream after the embedding and
  after every attention and MLP write, as the refusal-direction study's hooks do) |
  ablate2 (the 2-vector basis) | add (1.5 · slot 2's raw direction added to the residual
  entering block 2, every position);
- expected.json: per batch the EOS ids used and the greedy tokens of transformers' `generate`
  (left padding, KV cache, max_new_tokens 8, generated tokens up to and including the first EOS)
  for base | ablate | add_all (added at every step) | add_prefill (added in the prefill pass
  only); and the refusal score of R = [5, 17] and the first-token KL(base ‖ ablate), float64.
"""
import json, pathlib
import torch
from safetensors.torch import save_file

import transformers as T

ROOT = pathlib.Path(__file__).resolve().parent
NAMES = ["llama", "llama_tied", "qwen2", "gemma2", "gemma3_text", "gpt2"]
REFUSAL_TOKENS = [5, 17]
COEF, ADD_SLOT, ABLATE_SLOT, NEW = 1.5, 2, 1, 8


def parts(model):
    base = model.base_model
    gpt2 = hasattr(base, "h")
    layers = base.h if gpt2 else base.layers
    final = base.ln_f if gpt2 else base.norm
    writers = []
    for layer in layers:
        if gpt2:
            writers += [layer.attn, layer.mlp]
        elif hasattr(layer, "post_feedforward_layernorm"):  # Gemma: the write is the post-norm's output
            writers += [layer.post_attention_layernorm, layer.post_feedforward_layernorm]
        else:
            writers += [layer.self_attn, layer.mlp]
    return base, layers, final, writers


def first_tensor(value):
    return value[0] if isinstance(value, tuple) else value


def replace_first(value, new):
    return (new,) + tuple(value[1:]) if isinstance(value, tuple) else new


def ablation_hooks(model, q):
    """h − Q Qᵀ h after the embedding (= at the input of block 0) and on every attention and MLP
    write; the last block's output is then free of it too."""
    base, layers, final, writers = parts(model)
    project = lambda h: h - (h @ q.T) @ q
    handles = [layers[0].register_forward_pre_hook(pre_hook(project), with_kwargs=True)]
    for module in writers:
        handles.append(module.register_forward_hook(lambda m, a, out: replace_first(out, project(first_tensor(out)))))
    return handles


def pre_hook(edit, only_first=False):
    calls = [0]

    def hook(module, args, kwargs):
        calls[0] += 1
        if only_first and calls[0] > 1:
            return None
        if args:
            return (edit(args[0]),) + tuple(args[1:]), kwargs
        kwargs = dict(kwargs)
        kwargs["hidden_states"] = edit(kwargs["hidden_states"])
        return args, kwargs
    return hook


def addition_hooks(model, offset, slot, only_first=False):
    _, layers, _, _ = parts(model)
    return [layers[slot].register_forward_pre_hook(pre_hook(lambda h: h + offset, only_first), with_kwargs=True)]


def padded(batch):
    length = max(len(p) for p in batch)
    ids = torch.tensor([[0] * (length - len(p)) + p for p in batch])
    mask = torch.tensor([[0] * (length - len(p)) + [1] * len(p) for p in batch])
    return ids, mask


def logits(model, batch):
    ids, mask = padded(batch)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False).logits


def generate(model, batch, eos):
    ids, mask = padded(batch)
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=NEW, do_sample=False,
                             eos_token_id=eos, pad_token_id=0, temperature=None, top_p=None, top_k=None)
    rows = []
    for row in out[:, ids.shape[1]:].tolist():
        cut = next((i + 1 for i, t in enumerate(row) if eos and t in eos), len(row))
        rows.append(row[:cut])
    return rows


def with_hooks(handles, f):
    try:
        return f()
    finally:
        for h in handles:
            h.remove()


def refusal_score(last):
    p = torch.softmax(last.double(), -1)
    pr = p[:, REFUSAL_TOKENS].sum(-1)
    return (torch.log(pr + 1e-8) - torch.log(1 - pr + 1e-8)).tolist()


def kl(base, edit):
    lp, lq = torch.log_softmax(base.double(), -1), torch.log_softmax(edit.double(), -1)
    return (lp.exp() * (lp - lq)).sum(-1).tolist()


def main():
    for name in NAMES:
        source = ROOT / "runtime" / name
        model = T.AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32).eval()
        batches = json.loads((source / "prompts.json").read_text())
        d, slots = model.config.hidden_size, model.config.num_hidden_layers + 1
        g = torch.Generator().manual_seed(21)
        directions = {f"layer.{s}": 0.7 * torch.randn(d, generator=g) for s in range(slots)}
        basis = torch.randn(2, d, generator=g)
        out = ROOT / "intervention" / name
        out.mkdir(parents=True, exist_ok=True)
        meta = {"steer.kind": "directions", "steer.layer_convention": "hf_hidden_states"}
        save_file(directions, out / "directions.safetensors", metadata=meta)
        save_file({"layer.1": basis}, out / "basis.safetensors", metadata={**meta, "steer.kind": "basis"})
        r1 = directions[f"layer.{ABLATE_SLOT}"]
        q1 = (r1 / r1.norm())[None, :]
        q2 = torch.linalg.qr(basis.T.double())[0].T.float()
        offset = COEF * directions[f"layer.{ADD_SLOT}"]
        tensors, summary = {}, {}
        for b, batch in enumerate(batches):
            kinds = {
                "base": lambda: [],
                "ablate": lambda: ablation_hooks(model, q1),
                "ablate2": lambda: ablation_hooks(model, q2),
                "add": lambda: addition_hooks(model, offset, ADD_SLOT),
            }
            for kind, hooks in kinds.items():
                tensors[f"batch{b}.{kind}"] = with_hooks(hooks(), lambda: logits(model, batch)).contiguous()
            # EOS: a token greedy decoding reaches at step 3 of prompt 0, so that stopping is exercised.
            free = generate(model, batch, None)
            eos = [free[0][3], 95] if free[0][3] not in free[0][:3] else [95]
            runs = {
                "base": lambda: [],
                "ablate": lambda: ablation_hooks(model, q1),
                "add_all": lambda: addition_hooks(model, offset, ADD_SLOT),
                "add_prefill": lambda: addition_hooks(model, offset, ADD_SLOT, only_first=True),
            }
            entry = {"eos": eos, "generated": {k: with_hooks(h(), lambda: generate(model, batch, eos)) for k, h in runs.items()}}
            base_last, ablate_last = tensors[f"batch{b}.base"][:, -1], tensors[f"batch{b}.ablate"][:, -1]
            entry["refusal_tokens"] = REFUSAL_TOKENS
            entry["refusal_score"] = refusal_score(base_last)
            entry["refusal_score_ablate"] = refusal_score(ablate_last)
            entry["kl_ablate"] = kl(base_last, ablate_last)
            summary[f"batch{b}"] = entry
        save_file(tensors, out / "expected.safetensors")
        (out / "expected.json").write_text(json.dumps(summary, indent=1) + "\n")
        print(name, {k: v["generated"]["base"] for k, v in summary.items()})




def smollm2(model_dir="/work/models/smollm2-f32", data="/work/shared/data/smollm2", count=4, new=24):
    """Greedy completions of the first `count` shared SmolLM2 test prompts of each class (chat
    template, no special tokens added, left-padded batch of all of them, KV cache), and the
    refusal score of "I" (id 57) at the first generated position:
    vectors/intervention/smollm2_greedy.json = [{"instruction", "ids", "tokens", "text", "refusal_score"}]."""
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = T.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    eos = model.generation_config.eos_token_id
    eos = eos if isinstance(eos, list) else [eos]
    refusal = tokenizer.convert_tokens_to_ids(["I"])
    rows = []
    for split in ["harmful", "harmless"]:
        for record in json.loads(pathlib.Path(f"{data}/smollm2_test_{split}.prompts.json").read_text())[:count]:
            text = tokenizer.apply_chat_template([{"role": "user", "content": record["instruction"]}],
                                                 add_generation_prompt=True, tokenize=False)
            rows.append({"instruction": record["instruction"], "ids": tokenizer(text, add_special_tokens=False)["input_ids"]})
    batch = [r["ids"] for r in rows]
    ids, mask = padded(batch)
    ids[mask == 0] = tokenizer.pad_token_id
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new, do_sample=False, eos_token_id=eos,
                             pad_token_id=tokenizer.pad_token_id, temperature=None, top_p=None, top_k=None)
        last = torch.stack([model(input_ids=torch.tensor([r]), use_cache=False).logits[0, -1] for r in batch])
    p = torch.softmax(last.double(), -1)[:, refusal].sum(-1)
    scores = (torch.log(p + 1e-8) - torch.log(1 - p + 1e-8)).tolist()
    for r, row, score in zip(rows, out[:, ids.shape[1]:].tolist(), scores):
        cut = next((i + 1 for i, t in enumerate(row) if t in eos), len(row))
        r["tokens"] = row[:cut]
        r["text"] = tokenizer.decode(row[:cut], skip_special_tokens=True)
        r["refusal_score"] = score
    (ROOT / "intervention" / "smollm2_greedy.json").write_text(
        json.dumps({"eos": eos, "refusal_tokens": refusal, "max_new_tokens": new, "prompts": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
    if pathlib.Path("/work/models/smollm2-f32").exists():
        smollm2()
