"""References for `steer select` (issue 21): the refusal-direction study's selection table
(its `select_direction`), computed with transformers hooks on the tiny random models of
vectors/make_runtime_vectors.py.

    /work/venv/bin/python vectors/make_selection_vectors.py

For each model NAME (float32, read from vectors/runtime/NAME), vectors/selection/NAME/ holds
- position0/1/2.safetensors: one random raw direction `layer.{s}` [d] per hf_hidden_states
  slot s = 0 … blocks (steer.position 0, 1 and 2, steer.layer_convention =
  hf_hidden_states, steer.auroc / steer.cohen_d figures per slot as `steer extract` records them);
  slot 0 of position 1 is zero (a degenerate slot);
- expected.json: harmful = the prompts of batch 0 of vectors/runtime/NAME/prompts.json, harmless =
  those of batch 1 (token ids), refusal tokens R = [5, 17], the filters (max_kl and min_induce
  picked between the scores so that the chosen candidate is clear, prune_fraction 0.2), the
  baseline mean refusal scores, and per candidate (position, slot): bypass = mean refusal score of
  the harmful prompts with r̂ ablated everywhere (the study's hooks: block 0's input and every
  attention and MLP write), induce = mean refusal score of the harmless prompts with r (raw,
  coefficient 1) added to the input of block s (s = blocks: to the input of the output head), kl =
  mean KL(p_base ‖ p_ablated) of the harmless first-token distributions (float64, no epsilon),
  the filters it fails (not_finite, zero, depth, kl, induce) and the chosen (position, slot):
  lowest bypass among those failing none.
"""
import json, pathlib, sys
import torch
from safetensors.torch import save_file

import transformers as T

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import make_intervention_vectors as mi  # noqa: E402  (its hooks: ablation, addition, left-padded logits)

NAMES = ["llama", "gemma2", "gpt2"]
REFUSAL_TOKENS = [5, 17]
PRUNE = 0.2


def last_logits(model, batch, hooks):
    return mi.with_hooks(hooks, lambda: mi.logits(model, batch))[:, -1]


def refusal(last):
    p = torch.softmax(last.double(), -1)[:, REFUSAL_TOKENS].sum(-1)
    return torch.log(p + 1e-8) - torch.log(1 - p + 1e-8)


def kl(base, edit):
    lp, lq = torch.log_softmax(base.double(), -1), torch.log_softmax(edit.double(), -1)
    return (lp.exp() * (lp - lq)).sum(-1)


def induce_hooks(model, r, slot, blocks):
    if slot < blocks:
        return mi.addition_hooks(model, r, slot)
    head = model.get_output_embeddings()
    return [head.register_forward_pre_hook(lambda m, args: (args[0] + r,) + tuple(args[1:]))]


def between(values, share):
    """A threshold between two neighbouring sorted values, about `share` of the way up, far from both."""
    values = sorted(values)
    i = max(1, min(len(values) - 1, round(share * len(values))))
    return (values[i - 1] + values[i]) / 2


def main():
    for name in NAMES:
        source = ROOT / "runtime" / name
        model = T.AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32).eval()
        harmful, harmless = json.loads((source / "prompts.json").read_text())
        out = ROOT / "selection" / name
        out.mkdir(parents=True, exist_ok=True)
        for seed in range(2101, 2200):  # the first seed whose scores all stand 1e-3 clear of the thresholds
            summary = table(model, harmful, harmless, seed, out)
            if summary["margin"] > 1e-3:
                break
        (out / "expected.json").write_text(json.dumps(summary, indent=1) + "\n")
        print(name, "seed", summary["seed"], "chosen", summary["chosen"], "margin", summary["margin"])


def table(model, harmful, harmless, seed, out):
    """The directions files of `seed` (written to `out`) and the selection table of expected.json."""
    d, blocks = model.config.hidden_size, model.config.num_hidden_layers
    g = torch.Generator().manual_seed(seed)
    files = []
    for position in range(3):
        directions = {f"layer.{s}": 0.8 * torch.randn(d, generator=g) for s in range(blocks + 1)}
        if position == 1:
            directions["layer.0"] = torch.zeros(d)
        meta = {"steer.kind": "directions", "steer.layer_convention": "hf_hidden_states", "steer.position": str(position),
                "steer.layers": ",".join(str(s) for s in range(blocks + 1)),
                "steer.auroc": ",".join(f"{s}:{0.5 + 0.01 * s + 0.1 * position}" for s in range(blocks + 1)),
                "steer.cohen_d": ",".join(f"{s}:{0.2 * s - position}" for s in range(blocks + 1))}
        save_file(directions, out / f"position{position}.safetensors", metadata=meta)
        files.append(directions)
    base_harmful = last_logits(model, harmful, [])
    base_harmless = last_logits(model, harmless, [])
    rows = []
    for position, directions in enumerate(files):
        for s in range(blocks + 1):
            r = directions[f"layer.{s}"]
            norm = r.norm()
            q = (r / norm)[None, :] if norm > 0 else torch.zeros(1, d)
            # the study: direction / (norm + 1e-8), so a zero direction ablates nothing
            bypass = refusal(last_logits(model, harmful, mi.ablation_hooks(model, q))).mean().item()
            ablated = last_logits(model, harmless, mi.ablation_hooks(model, q))
            induce = refusal(last_logits(model, harmless, induce_hooks(model, r, s, blocks))).mean().item()
            rows.append({"position": position, "slot": s, "bypass_score": bypass, "induce_score": induce,
                         "kl": kl(base_harmless, ablated).mean().item(), "zero": bool(norm == 0)})
    first_pruned = int(blocks * (1.0 - PRUNE))
    live = [r for r in rows if not r["zero"] and r["slot"] < first_pruned]
    max_kl = between([r["kl"] for r in live], 0.8)
    min_induce = between([r["induce_score"] for r in live if r["kl"] <= max_kl], 0.25)
    for r in rows:
        r["reasons"] = [k for k, failed in [("zero", r["zero"]), ("depth", r["slot"] >= first_pruned),
                                            ("kl", r["kl"] > max_kl), ("induce", r["induce_score"] < min_induce)] if failed]
        del r["zero"]
    kept = sorted([r for r in rows if not r["reasons"]], key=lambda r: r["bypass_score"])
    chosen = {"position": kept[0]["position"], "slot": kept[0]["slot"]} if kept else None
    summary = {"harmful": harmful, "harmless": harmless, "refusal_tokens": REFUSAL_TOKENS,
               "filters": {"max_kl": max_kl, "min_induce": min_induce, "prune_fraction": PRUNE},
               "baseline_harmful": refusal(base_harmful).mean().item(),
               "baseline_harmless": refusal(base_harmless).mean().item(),
               "candidates": rows, "chosen": chosen, "seed": seed}
    gaps = [abs(r[k] - t) for r in rows for k, t in [("kl", max_kl), ("induce_score", min_induce)]]
    summary["margin"] = min(gaps + [kept[1]["bypass_score"] - kept[0]["bypass_score"] if len(kept) > 1 else 0])
    return summary


if __name__ == "__main__":
    main()
