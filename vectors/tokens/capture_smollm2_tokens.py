#!/usr/bin/env python3
"""Token-axis hidden states of the shared SmolLM2 prompts, for the README's probes-over-tokens demo.

Usage: capture_smollm2_tokens.py MODEL_DIR SHARED_SMOLLM2_DIR OUT_DIR
Reads the instructions of smollm2_{train,test}_{harmful,harmless}.prompts.json, wraps each in the
model's chat template as the shared capture did (apply_chat_template, add_generation_prompt=True,
tokenized without added special tokens), runs the model in float32 one prompt at a time, and writes
OUT_DIR/smollm2_{split}_{class}.tokens.safetensors: BF16 `layer.N` [rows, 128, 576] for the hidden
states slots 12, 18, 24 and 28 (transformers' output_hidden_states numbering), each row's tokens
first and zeros after, an I64 `lengths` [rows], and the prompts file copied beside. Nothing here is
committed: the files are some 600 MB.
"""
import json, os, shutil, sys
import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

model_dir, shared, out = sys.argv[1], sys.argv[2], sys.argv[3]
SLOTS, T = [12, 18, 24, 28], 128
torch.set_num_threads(2)
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
for split in ("train", "test"):
    for cls in ("harmful", "harmless"):
        stem = f"smollm2_{split}_{cls}"
        records = json.load(open(os.path.join(shared, stem + ".prompts.json")))
        n = len(records)
        states = {s: torch.zeros(n, T, model.config.hidden_size, dtype=torch.bfloat16) for s in SLOTS}
        lengths = torch.zeros(n, dtype=torch.int64)
        for r, record in enumerate(records):
            text = tok.apply_chat_template([{"role": "user", "content": record["instruction"]}], add_generation_prompt=True, tokenize=False)
            ids = tok(text, add_special_tokens=False, return_tensors="pt").input_ids[:, :T]
            with torch.no_grad():
                hidden = model(ids, output_hidden_states=True).hidden_states
            lengths[r] = ids.shape[1]
            for s in SLOTS:
                states[s][r, : ids.shape[1]] = hidden[s][0].to(torch.bfloat16)
        tensors = {f"layer.{s}": states[s] for s in SLOTS}
        tensors["lengths"] = lengths
        save_file(tensors, os.path.join(out, stem + ".tokens.safetensors"), metadata={"steer.layer_convention": "hf_hidden_states"})
        shutil.copy(os.path.join(shared, stem + ".prompts.json"), os.path.join(out, stem + ".tokens.prompts.json"))
        print(stem, n, "rows, max length", int(lengths.max()), flush=True)
