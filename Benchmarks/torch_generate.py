"""transformers side of `steer-bench generate`: greedy `generate` of the same prompts, batch and threads in float32.

Usage: torch_generate.py MODEL_DIR IDS.json COUNT NEW BATCH THREADS TOKENS_OUT.json
IDS.json maps split names to lists of token-id lists; the first COUNT/2 prompts of each split (in
sorted split order) are run in batches of BATCH, left-padded with attention_mask (the model's
pad token), `generate(max_new_tokens=NEW, do_sample=False)` with no EOS, so every prompt gets NEW
tokens, as the steer side does. Writes the generated ids to TOKENS_OUT.json and prints one line:
  seconds generated_tokens
(-1 -1 when torch or transformers is missing). The time is the generate calls only, after the
model is loaded and one short warm-up call.
"""
import json, sys, time

try:
    import torch
    from transformers import AutoModelForCausalLM
except ImportError:
    print("-1 -1")
    sys.exit(0)

model_dir, ids_path, count, new, batch, threads, out = sys.argv[1:8]
count, new, batch, threads = int(count), int(new), int(batch), int(threads)
torch.set_num_threads(threads)
splits = json.load(open(ids_path))
prompts = [p for name in sorted(splits) for p in splits[name][:count // 2]]
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
pad = model.generation_config.pad_token_id
pad = pad if pad is not None else 0
model.generation_config.eos_token_id = None  # no stop token: every prompt gets NEW tokens


def run(chunk, tokens):
    length = max(len(p) for p in chunk)
    ids = torch.tensor([[pad] * (length - len(p)) + p for p in chunk])
    mask = torch.tensor([[0] * (length - len(p)) + [1] * len(p) for p in chunk])
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=tokens, do_sample=False,
                             pad_token_id=pad, temperature=None, top_p=None, top_k=None)
    return out[:, ids.shape[1]:].tolist()


run(prompts[:2], 2)
start = time.perf_counter()
generated = []
for i in range(0, len(prompts), batch):
    generated += run(prompts[i:i + batch], new)
seconds = time.perf_counter() - start
json.dump(generated, open(out, "w"))
print(seconds, sum(len(g) for g in generated))
