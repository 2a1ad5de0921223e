#!/usr/bin/env python3
"""Writes the seed corpus of the `runtime-config` fuzz target (Fuzz/corpus/runtime-config).

Run from the repository root: python3 Fuzz/tools/make_runtime_config_corpus.py
Byte 0 of each seed picks the file (0: config.json, 1: model.safetensors.index.json); the configs name the
sizes of the harness's tiny model (Fuzz/Harness/RuntimeConfig.swift) for every family the runtime computes,
with each RoPE and window spelling, plus the configs of the runtime fixtures (vectors/runtime, other sizes);
the indexes split the harness's model over its two shards, right and misplaced.
"""
import json, os

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "Fuzz", "corpus", "runtime-config")
base = {"model_type": "llama", "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
        "head_dim": 2, "intermediate_size": 5, "vocab_size": 8, "max_position_embeddings": 16, "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0, "query_pre_attn_scalar": 2, "tie_word_embeddings": True}


def put(name, mode, obj):
    data = obj if isinstance(obj, bytes) else json.dumps(obj, indent=1).encode()
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([mode]) + data)


def main():
    os.makedirs(out, exist_ok=True)
    put("config_llama.json", 0, base)
    put("config_llama3_rope.json", 0, dict(base, rope_parameters={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8, "rope_theta": 500.0}))
    put("config_mistral_window.json", 0, dict(base, model_type="mistral", sliding_window=2))
    put("config_qwen2_legacy_rope.json", 0, dict(base, model_type="qwen2", rope_scaling={"type": "linear", "factor": 2.0},
                                                  use_sliding_window=True, max_window_layers=0, sliding_window=2))
    put("config_qwen3.json", 0, dict(base, model_type="qwen3"))
    put("config_gemma2.json", 0, dict(base, model_type="gemma2", hidden_activation="gelu_pytorch_tanh",
                                       attn_logit_softcapping=50.0, final_logit_softcapping=30.0, sliding_window=2))
    put("config_gemma3_nested.json", 0, {"model_type": "gemma3", "text_config": dict(
        base, model_type="gemma3_text", hidden_activation="gelu_pytorch_tanh", layer_types=["sliding_attention"],
        sliding_window=2, rope_local_base_freq=10000.0)})
    put("config_gpt2.json", 0, {"model_type": "gpt2", "n_embd": 4, "n_layer": 1, "n_head": 2, "n_positions": 16, "vocab_size": 8})
    for family in ["llama", "qwen2", "gemma2", "gemma3_text", "gpt2"]:
        with open(os.path.join(root, "vectors", "runtime", family, "config.json"), "rb") as f:
            put(f"fixture_{family}.json", 0, f.read())
    block = "model.layers.0."
    first = ["model.embed_tokens.weight", "model.norm.weight"] + [block + n + ".weight" for n in [
        "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm",
        "self_attn.q_norm", "self_attn.k_norm"]]
    second = [block + "self_attn." + n + ".weight" for n in ["q_proj", "k_proj", "v_proj", "o_proj"]] + [
        block + "mlp." + n + ".weight" for n in ["gate_proj", "up_proj", "down_proj"]]
    weights = {n: "model-00001-of-00002.safetensors" for n in first}
    weights.update({n: "model-00002-of-00002.safetensors" for n in second})
    put("index_two_shards.json", 1, {"metadata": {"total_size": 1000}, "weight_map": weights})
    put("index_misplaced.json", 1, {"metadata": {}, "weight_map": dict(weights, **{"model.norm.weight": "model-00002-of-00002.safetensors"})})


if __name__ == "__main__":
    main()
