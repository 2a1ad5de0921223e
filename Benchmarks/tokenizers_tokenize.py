"""tokenizers / transformers side of `steer-bench tokenize`: the SmolLM2 prompts through the chat template.

Usage: tokenizers_tokenize.py MODEL_DIR REPEAT PROMPTS.json...
Prints one line of seven numbers:
  load_seconds render_seconds encode_batch_seconds encode_loop_seconds apply_chat_template_seconds tokens digest48
load = tokenizers.Tokenizer.from_file(tokenizer.json); render = transformers' apply_chat_template(tokenize=False,
add_generation_prompt=True) of every prompt; encode_batch = tokenizers' Tokenizer.encode_batch of the rendered
texts (Rust, parallel over the cores), encode_loop = Tokenizer.encode of each in turn; apply_chat_template =
transformers' apply_chat_template(tokenize=True) of every prompt (what most users call). Best of REPEAT. digest48
= the low 48 bits of FNV-1a 64 over the ids (decimal, ',' between ids, ';' after each prompt), for the exactness check.
"""
import json, os, sys, time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
from tokenizers import Tokenizer
from transformers import AutoTokenizer

model, repeat, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
prompts = [r["instruction"] if isinstance(r, dict) else r for f in files for r in json.load(open(f))]


def best(body):
    times = []
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        out = body()
        times.append(time.perf_counter() - t)
    return min(times), out


load, tok = best(lambda: Tokenizer.from_file(os.path.join(model, "tokenizer.json")))
hf = AutoTokenizer.from_pretrained(model)
render, texts = best(lambda: [hf.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False) for p in prompts])
batch, encodings = best(lambda: tok.encode_batch(texts, add_special_tokens=False))
loop, _ = best(lambda: [tok.encode(t, add_special_tokens=False) for t in texts])
apply, _ = best(lambda: [hf.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=True) for p in prompts])
h = 0xCBF29CE484222325
for e in encodings:
    for byte in (",".join(map(str, e.ids)) + ";").encode():
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
print(load, render, batch, loop, apply, sum(len(e.ids) for e in encodings), h & 0xFFFFFFFFFFFF)
