#!/usr/bin/env python3
"""Seeds of the `lora` fuzz target (Fuzz/corpus/lora): the adapter `steer orthogonalize --as-lora`
writes for the harness's `ortho` model (Llama, d = 4, one block: embed [6, 4], o_proj [4, 4],
down_proj [4, 5], the harness's values and directions), byte 0 picking the file it replaces
(0: adapter_config.json, 1: adapter_model.safetensors), and a few variants of the config.

Run from the repository root after `swift build`:  python3 Fuzz/tools/make_lora_corpus.py
Needs numpy and safetensors.
"""
import json, os, subprocess, tempfile
import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Fuzz", "corpus", "lora")


def values(name, shape):
    count = int(np.prod(shape))
    return np.array([((i * 7 + len(name)) % 11) / 10 - 0.5 for i in range(count)], dtype=np.float32).reshape(shape)


with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "single")
    os.makedirs(model)
    specs = {"model.embed_tokens.weight": [6, 4], "model.layers.0.self_attn.o_proj.weight": [4, 4], "model.layers.0.mlp.down_proj.weight": [4, 5]}
    save_file({k: values(k, s) for k, s in specs.items()}, os.path.join(model, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(model, "config.json"), "w") as f:
        f.write('{"model_type": "llama", "hidden_size": 4, "num_hidden_layers": 1, "tie_word_embeddings": false}')
    directions = os.path.join(tmp, "directions.safetensors")
    save_file({"layer.0": np.array([1, 0.5, -0.25, 2], dtype=np.float32), "layer.1": np.array([0.3, -1, 0.7, 0.1], dtype=np.float32)},
              directions, metadata={"steer.kind": "directions", "steer.layer_convention": "hf_hidden_states"})
    adapter = os.path.join(tmp, "adapter")
    subprocess.run([os.path.join(ROOT, ".build", "debug", "steer"), "orthogonalize", "--model", model, "--directions", directions,
                    "--layer", "1", "--as-lora", adapter], check=True, stdout=subprocess.DEVNULL)
    config = open(os.path.join(adapter, "adapter_config.json"), "rb").read()
    weights = open(os.path.join(adapter, "adapter_model.safetensors"), "rb").read()

os.makedirs(OUT, exist_ok=True)
seeds = {"config": b"\x00" + config, "weights": b"\x01" + weights}
parsed = json.loads(config)
for name, change in [("config_rslora", {"use_rslora": True, "r": 4}), ("config_dora", {"use_dora": True}),
                     ("config_fan_in_fan_out", {"fan_in_fan_out": True}), ("config_alpha_string", {"lora_alpha": "1"}),
                     ("config_rank_pattern", {"rank_pattern": {"o_proj": 2}})]:
    seeds[name] = b"\x00" + json.dumps({**parsed, **change}, sort_keys=True).encode()
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {OUT}")
