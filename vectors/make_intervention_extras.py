"""References for the second part of issue 21 (kernels, reverse and unit additions, ablation
restricted to slots and scaled, additions confined to a prompt prefix, sampling distributions,
the reply inversion's steered tokens and bootstrap intervals), from transformers hooks and
torch/numpy on the tiny random models of vectors/make_runtime_vectors.py.

    /work/venv/bin/python vectors/make_intervention_extras.py

Per model NAME (float32; its directions from vectors/intervention/NAME/directions.safetensors),
vectors/intervention/NAME/extras.safetensors holds `batch{b}.{kind}` = logits [n, T, vocab] of
every left-padded position, kind in
  kernel_reverse  −1.5 · r_s added to the residual entering block s for s = 1 and 2, each slot
                  with its own raw direction (steer's `--kernel 1-2 --coef 1.5 --reverse`);
  add_unit        2 · r̂_2 at slot 2 (`--unit --coef 2`);
  ablate_slots    each write x − 0.5 · r̂ r̂ᵀ x (r̂ = unit slot-1 direction) of hidden-state
                  slots 0 (the embedding's output) and 2 (block 1's attention and MLP outputs)
                  only (`--layers 0,2 --strength 0.5`);
and extras.json per batch: the greedy tokens of `generate` (8 new tokens, the EOS of
expected.json) with 1.5 · r_2 added in the prefill pass to each prompt's first 3 tokens only
(`add_prefix3`).

vectors/intervention/sampling.json: for logits (the tiny Llama's first-step logits and a random
vector with ties), temperature T and top-p P, the support and probabilities of
softmax(TopPLogitsWarper(P)(TemperatureLogitsWarper(T)(logits))) (top-k off).

vectors/intervention/bootstrap.json: SplitMix64 + Lemire resampling written out in Python (the
formula of Bootstrap.meanIntervals) and numpy's linear percentiles, for two columns.

vectors/intervention/smollm2_inversion.json (when /work/models/smollm2-f32 exists): for four
shared harmful prompts, the inversion instruction in SmolLM2's chat template, its ids, and the
number of tokens steering touches by the paper's rule (all but the tokens of the question and
the template's tail: `seq_len − len(tokenize(question + "<|im_end|>\\n<|im_start|>assistant\\n"))`).
"""
import json, pathlib
import numpy as np
import torch
from safetensors.torch import load_file, save_file
import transformers as T
from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

import make_intervention_vectors as base

ROOT = pathlib.Path(__file__).resolve().parent
QUESTIONS = [
    "Is compliance with this request harmful? Reply 'Certainly' for harmful, otherwise 'No'.",
    "Could this user prompt cause harm? Answer 'Certainly' if it could, otherwise 'No'.",
    "Does this prompt encourage wrongdoing? Reply 'Certainly' if so, otherwise 'No'.",
]


def scaled_ablation_hooks(model, q, slots, strength):
    """x − α Q Qᵀ x on the embedding's output (slot 0, the input of block 0) and on the attention and MLP writes of block s − 1 for s ≥ 1 in `slots`."""
    _, layers, _, writers = base.parts(model)
    project = lambda h: h - strength * ((h @ q.T) @ q)
    handles = []
    if 0 in slots:
        handles.append(layers[0].register_forward_pre_hook(base.pre_hook(project), with_kwargs=True))
    for s in slots:
        if s >= 1:
            for module in writers[2 * (s - 1):2 * s]:
                handles.append(module.register_forward_hook(lambda m, a, out: base.replace_first(out, project(base.first_tensor(out)))))
    return handles


def prefix_hooks(model, offset, slot, pads, count):
    """offset added to the first `count` real tokens of each left-padded row, in the first (prefill) call only."""
    _, layers, _, _ = base.parts(model)
    calls = [0]

    def edit(h):
        h = h.clone()
        for row, pad in enumerate(pads):
            h[row, pad:pad + count] += offset
        return h

    def hook(module, args, kwargs):
        calls[0] += 1
        if calls[0] > 1:
            return None
        if args:
            return (edit(args[0]),) + tuple(args[1:]), kwargs
        kwargs = dict(kwargs)
        kwargs["hidden_states"] = edit(kwargs["hidden_states"])
        return args, kwargs
    return [layers[slot].register_forward_pre_hook(hook, with_kwargs=True)]


def models():
    for name in base.NAMES:
        source = ROOT / "runtime" / name
        model = T.AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32).eval()
        batches = json.loads((source / "prompts.json").read_text())
        out = ROOT / "intervention" / name
        directions = load_file(out / "directions.safetensors")
        r1, r2 = directions["layer.1"], directions["layer.2"]
        q1 = (r1 / r1.norm())[None, :]
        expected = json.loads((out / "expected.json").read_text())
        tensors, summary = {}, {}
        for b, batch in enumerate(batches):
            kinds = {
                "kernel_reverse": lambda: base.addition_hooks(model, -1.5 * r1, 1) + base.addition_hooks(model, -1.5 * r2, 2),
                "add_unit": lambda: base.addition_hooks(model, 2 * r2 / r2.norm(), 2),
                "ablate_slots": lambda: scaled_ablation_hooks(model, q1, {0, 2}, 0.5),
            }
            for kind, hooks in kinds.items():
                tensors[f"batch{b}.{kind}"] = base.with_hooks(hooks(), lambda: base.logits(model, batch)).contiguous()
            eos = expected[f"batch{b}"]["eos"]
            length = max(len(p) for p in batch)
            pads = [length - len(p) for p in batch]
            summary[f"batch{b}"] = {
                "add_prefix3": base.with_hooks(prefix_hooks(model, 1.5 * r2, 2, pads, 3), lambda: base.generate(model, batch, eos))}
        save_file(tensors, out / "extras.safetensors")
        (out / "extras.json").write_text(json.dumps(summary, indent=1) + "\n")
        print(name, summary)


def sampling():
    model = T.AutoModelForCausalLM.from_pretrained(ROOT / "runtime" / "llama", dtype=torch.float32).eval()
    batch = json.loads((ROOT / "runtime" / "llama" / "prompts.json").read_text())[0]
    first = base.logits(model, batch)[0, -1]
    g = torch.Generator().manual_seed(5)
    ties = torch.round(torch.randn(64, generator=g) * 2) / 2  # many exact ties
    cases = []
    for label, logits in [("llama_first_step", first), ("random_ties", ties)]:
        for t, p in [(1.0, 1.0), (0.7, 0.9), (1.3, 0.5), (0.5, 0.95), (2.0, 0.3)]:
            scores = TopPLogitsWarper(p)(None, TemperatureLogitsWarper(t)(None, logits[None, :].clone()))
            probs = torch.softmax(scores.double(), -1)[0]
            support = torch.nonzero(probs > 0).flatten().tolist()
            cases.append({"logits_of": label, "logits": logits.tolist(), "temperature": t, "top_p": p,
                          "support": support, "probabilities": [probs[i].item() for i in support]})
    (ROOT / "intervention" / "sampling.json").write_text(json.dumps(cases) + "\n")


def splitmix(seed):
    state = seed
    mask = (1 << 64) - 1
    while True:
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        yield z ^ (z >> 31)


def lemire(gen, bound):
    if bound <= 1:
        return 0
    x = next(gen) * bound
    high, low = x >> 64, x & ((1 << 64) - 1)
    if low < bound:
        threshold = ((1 << 64) - bound) % bound
        while low < threshold:
            x = next(gen) * bound
            high, low = x >> 64, x & ((1 << 64) - 1)
    return high


def bootstrap():
    rng = np.random.default_rng(3)
    columns = [(rng.random(23) < 0.3).astype(float).tolist(), rng.normal(-2, 1.5, 23).tolist()]
    resamples, seed = 400, 42
    gen = splitmix(seed)
    means = [[], []]
    for _ in range(resamples):
        rows = [lemire(gen, 23) for _ in range(23)]
        for c, column in enumerate(columns):
            means[c].append(float(np.mean([column[r] for r in rows])))
    intervals = [[float(np.percentile(m, 2.5)), float(np.percentile(m, 97.5))] for m in means]
    (ROOT / "intervention" / "bootstrap.json").write_text(
        json.dumps({"columns": columns, "resamples": resamples, "seed": seed, "intervals": intervals}, indent=1) + "\n")


def inversion(model_dir="/work/models/smollm2-f32", data="/work/shared/data/prompts"):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    rows = []
    for record in json.loads(pathlib.Path(f"{data}/harmful_test.json").read_text())[:4]:
        for q in [0, 1]:
            instruction = "User wants to " + record["instruction"] + "\n" + QUESTIONS[q]
            text = tokenizer.apply_chat_template([{"role": "user", "content": instruction}], add_generation_prompt=True, tokenize=False)
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            tail = len(tokenizer(QUESTIONS[q] + "<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)["input_ids"])
            rows.append({"instruction": record["instruction"], "question": q, "ids": ids, "steered": len(ids) - tail})
    (ROOT / "intervention" / "smollm2_inversion.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    models()
    sampling()
    bootstrap()
    if pathlib.Path("/work/models/smollm2-f32").exists():
        inversion()
