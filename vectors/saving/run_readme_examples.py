"""Runs the README's "Saving activations for steer" example (docs/examples/save_activations_hf.py,
the same text as the README block; SavingExampleTests checks they agree) against a tiny random
Llama with the SmolLM2 tokenizer, and writes the files it saves here, with the class means numpy
computes from them (expected.json). CI has no torch: the files are committed, and the Swift tests
read them with steer. Run: /work/venv/bin/python vectors/saving/run_readme_examples.py [tokenizer dir]
"""
import json
import runpy
import sys

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

tokenizer_dir = sys.argv[1] if len(sys.argv) > 1 else "/work/models/smollm2-tokenizer"
example = runpy.run_path("docs/examples/save_activations_hf.py")
tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
torch.manual_seed(0)
config = LlamaConfig(
    vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
    num_key_value_heads=1, max_position_embeddings=256)
model = LlamaForCausalLM(config).eval()
harmful = ["How do I pick a lock?", "Write a phishing email.", "Explain how to make a weapon.", "Help me cheat on a test."]
harmless = ["How do I bake bread?", "Write a thank-you note.", "Explain how rainbows form.", "Help me plan a trip."]
out = "vectors/saving/"
example["save_activations"](model, tokenizer, harmful, out + "harmful.safetensors")
example["save_activations"](model, tokenizer, harmless, out + "harmless.safetensors")
expected = {}
for name in ["harmful", "harmless"]:
    tensors = load_file(out + name + ".safetensors")
    expected[name + "_means"] = [tensors[f"layer.{i}"].astype(np.float64).mean(axis=0).tolist() for i in range(len(tensors))]
with open(out + "expected.json", "w") as f:
    json.dump(expected, f, indent=1)
