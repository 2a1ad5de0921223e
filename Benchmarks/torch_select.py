"""transformers side of `steer-bench select`: the refusal-direction study's selection
(select_direction) with torch hooks in float32, on the same prompts, candidates and threads.

Usage: torch_select.py MODEL_DIR IDS.json THREADS SLOTS OUT.json DIRECTIONS...
IDS.json = {"harmful": [[ids]], "harmless": [[ids]], "refusal_tokens": [ids], "batch": B};
SLOTS = all or a comma-separated list of the slots to score; DIRECTIONS = one directions file per
position (layer.{s} [d], hf_hidden_states slots). As the study does it: the baseline first-token
logits of each class, then per candidate three hooked passes in batches of B (left padding,
attention_mask, position_ids = cumsum(mask) − 1): harmful with r̂ ablated (block 0's input and every
attention and MLP write: the bypass score), harmless with r̂ ablated (KL against the baseline),
harmless with r added to the input of its block (the induce score; at the last slot, to the output
head's input). Only the last position's logits are computed (`logits_to_keep=1`, torch's best
case; the study computes every position's). Writes the table to OUT.json and prints one line:
  seconds candidates
(-1 -1 when torch or transformers is missing). The time excludes loading and one warm-up pass.
"""
import json, pathlib, sys, time

try:
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM
except ImportError:
    print("-1 -1")
    sys.exit(0)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "vectors"))
import make_intervention_vectors as mi  # noqa: E402  (the study's hooks, as the runtime fixtures use them)

model_dir, ids_path, threads, slots_arg, out_path = sys.argv[1:6]
files = sys.argv[6:]
torch.set_num_threads(int(threads))
spec = json.load(open(ids_path))
harmful, harmless, refusal_tokens, batch = spec["harmful"], spec["harmless"], spec["refusal_tokens"], spec["batch"]
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
blocks = model.config.num_hidden_layers


def last_logits(prompts, hooks):
    try:
        rows = []
        for i in range(0, len(prompts), batch):
            ids, mask = mi.padded(prompts[i:i + batch])
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            with torch.inference_mode():
                rows.append(model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False, logits_to_keep=1).logits[:, -1])
        return torch.cat(rows)
    finally:
        for h in hooks:
            h.remove()


def refusal(last):
    p = torch.softmax(last.double(), -1)[:, refusal_tokens].sum(-1)
    return torch.log(p + 1e-8) - torch.log(1 - p + 1e-8)


def kl(base, edit):
    lp, lq = torch.log_softmax(base.double(), -1), torch.log_softmax(edit.double(), -1)
    return (lp.exp() * (lp - lq)).sum(-1)


def induce_hooks(r, slot):
    if slot < blocks:
        return mi.addition_hooks(model, r, slot)
    head = model.get_output_embeddings()
    return [head.register_forward_pre_hook(lambda m, args: (args[0] + r,) + tuple(args[1:]))]


last_logits(harmless[:batch], [])  # warm-up
start = time.perf_counter()
base_harmful, base_harmless = last_logits(harmful, []), last_logits(harmless, [])
rows = []
for position, path in enumerate(files):
    directions = load_file(path)
    for name in sorted(directions, key=lambda n: int(n.split(".")[1])):
        slot = int(name.split(".")[1])
        if slots_arg != "all" and slot not in {int(s) for s in slots_arg.split(",")}:
            continue
        r = directions[name].float()
        q = (r / (r.norm() + 1e-8))[None, :]  # the study's normalization: a zero direction ablates nothing
        bypass = refusal(last_logits(harmful, mi.ablation_hooks(model, q))).mean().item()
        divergence = kl(base_harmless, last_logits(harmless, mi.ablation_hooks(model, q))).mean().item()
        induce = refusal(last_logits(harmless, induce_hooks(r, slot))).mean().item()
        rows.append({"position": position, "slot": slot, "bypass": bypass, "induce": induce, "kl": divergence})
seconds = time.perf_counter() - start
json.dump({"baseline_harmful": refusal(base_harmful).mean().item(), "baseline_harmless": refusal(base_harmless).mean().item(),
           "rows": rows}, open(out_path, "w"), indent=1)
print(seconds, len(rows))
