"""transformers side of `steer-bench capture`: the same prompts, batches and threads in float32.

Usage: torch_capture.py MODEL_DIR IDS.json BATCH THREADS [LIMIT]
IDS.json maps split names to lists of token-id lists (vectors/runtime/smollm2_train_ids.json);
the prompts are taken in order (harmful then harmless), at most LIMIT, in batches of BATCH,
left-padded with attention_mask and position_ids = cumsum(mask) - 1 (clamped at 0),
`model.model(..., output_hidden_states=True, use_cache=False)` (no output head), keeping every
slot at t_inst = -7 and t_post = -1 as `steer capture` does. Prints one line:
  seconds tokens peak_rss_bytes
(-1 -1 -1 when torch or transformers is missing). The time is the forward passes and the
gathering only, after the model is loaded and one warm-up batch has run.
"""
import json, resource, sys, time

try:
    import torch
    from transformers import AutoModelForCausalLM
except ImportError:
    print("-1 -1 -1")
    sys.exit(0)

model_dir, ids_path, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
limit = int(sys.argv[5]) if len(sys.argv) > 5 else None
torch.set_num_threads(threads)
prompts = [p for split in json.load(open(ids_path)).values() for p in split][:limit]
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()


def run(chunk):
    length = max(len(p) for p in chunk)
    ids = torch.tensor([[0] * (length - len(p)) + p for p in chunk])
    mask = torch.tensor([[0] * (length - len(p)) + [1] * len(p) for p in chunk])
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.inference_mode():
        out = model.model(input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=True, use_cache=False)
    return torch.stack([h[:, [-7, -1]] for h in out.hidden_states], 1).float()


run(prompts[:batch])
start = time.perf_counter()
for i in range(0, len(prompts), batch):
    run(prompts[i:i + batch])
seconds = time.perf_counter() - start
print(seconds, sum(len(p) for p in prompts), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
