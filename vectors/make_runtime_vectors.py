"""Tiny random decoder models of every architecture steer's runtime supports, and their hidden
states from transformers, for Tests/RuntimeTests (CI has no torch: the outputs are committed).

    /work/venv/bin/python vectors/make_runtime_vectors.py

For each architecture NAME, vectors/runtime/NAME/ holds a Hugging Face directory in float32
(config.json, model.safetensors), NAME-bf16/ the same weights rounded to bfloat16 (llama also
NAME-f16/), and each directory an `expected.safetensors`: `batch{b}.layer.{s}` = hidden state
slot s (hf_hidden_states numbering) of batch b, float32 [n, T, d], from a float32 forward pass
(of the rounded weights widened back to float32, for the bf16/f16 directories), left-padded
with attention_mask and position_ids = cumsum(mask) - 1 clamped at 0. `prompts.json` holds
the token ids of each batch (lists of prompts of different lengths).
"""
import json, pathlib, shutil
import torch
from safetensors.torch import save_file
import transformers as T

OUT = pathlib.Path(__file__).resolve().parent / "runtime"
VOCAB = 96
BATCHES = [[[5, 17, 3, 88, 41, 9, 60], [12, 7, 33, 2, 71, 19, 50, 8, 64, 23, 90], [40, 41, 42, 1]],
           [[3, 1, 4, 1, 5, 9, 2, 6, 5], [95, 0, 17, 17, 30, 31, 32, 33, 34, 35, 36, 37, 38], [77]]]

common = dict(vocab_size=VOCAB, hidden_size=48, intermediate_size=80, num_hidden_layers=3,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6)


def configs():
    yield "llama", T.LlamaConfig(**common, tie_word_embeddings=False, rope_parameters=dict(
        rope_type="llama3", rope_theta=500.0, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
        original_max_position_embeddings=16)), T.LlamaForCausalLM
    yield "llama_tied", T.LlamaConfig(**common, tie_word_embeddings=True, attention_bias=True, mlp_bias=True,
                                      rope_parameters=dict(rope_type="default", rope_theta=10000.0)), T.LlamaForCausalLM
    yield "mistral", T.MistralConfig(**common, sliding_window=4, head_dim=16, rope_parameters=dict(
        rope_type="linear", factor=2.0, rope_theta=1000.0)), T.MistralForCausalLM
    yield "qwen2", T.Qwen2Config(**common, tie_word_embeddings=True), T.Qwen2ForCausalLM
    yield "qwen3", T.Qwen3Config(**common, head_dim=16, tie_word_embeddings=True), T.Qwen3ForCausalLM
    yield "gemma2", T.Gemma2Config(**common, head_dim=16, query_pre_attn_scalar=24, sliding_window=4,
                                   attn_logit_softcapping=2.0, final_logit_softcapping=30.0), T.Gemma2ForCausalLM
    yield "gemma3_text", T.Gemma3TextConfig(**{**common, "num_hidden_layers": 4}, head_dim=16, query_pre_attn_scalar=24,
                                            sliding_window=4, sliding_window_pattern=2, rope_parameters=dict(
        sliding_attention=dict(rope_type="default", rope_theta=100.0),
        full_attention=dict(rope_type="linear", factor=4.0, rope_theta=10000.0))), T.Gemma3ForCausalLM
    yield "gpt2", T.GPT2Config(vocab_size=VOCAB, n_embd=48, n_layer=3, n_head=4, n_positions=64), T.GPT2LMHeadModel


def randomize(model, gemma):
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                base = 0.0 if gemma else 1.0
                p.copy_(base + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed" in name or "wte" in name or "wpe" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                fan_in = p.shape[0] if "gpt2" in type(model).__name__.lower() else p.shape[-1]
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)


def hidden_states(model, batch):
    length = max(len(p) for p in batch)
    ids = torch.tensor([[0] * (length - len(p)) + p for p in batch])
    mask = torch.tensor([[0] * (length - len(p)) + [1] * len(p) for p in batch])
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        out = model.base_model(input_ids=ids, attention_mask=mask, position_ids=positions,
                               output_hidden_states=True, use_cache=False)
    return out.hidden_states


def save(model, cls, directory, dtype):
    if directory.exists():
        shutil.rmtree(directory)
    model.to(dtype).save_pretrained(directory)
    model.to(torch.float32)
    # The reference: the stored weights loaded as float32 (buffers such as inv_freq made afresh).
    model = cls.from_pretrained(directory, dtype=torch.float32).eval()
    (directory / "generation_config.json").unlink(missing_ok=True)
    if directory.name.startswith("mistral"):  # the older spelling most Hub configs still use
        config = json.loads((directory / "config.json").read_text())
        rope = config.pop("rope_parameters")
        config["rope_theta"] = rope.pop("rope_theta")
        config["rope_scaling"] = {"type": rope.pop("rope_type"), **rope}
        (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    tensors = {}
    for b, batch in enumerate(BATCHES):
        for s, h in enumerate(hidden_states(model, batch)):
            tensors[f"batch{b}.layer.{s}"] = h.contiguous()
    save_file(tensors, directory / "expected.safetensors")
    (directory / "prompts.json").write_text(json.dumps(BATCHES) + "\n")


def main():
    torch.manual_seed(0)
    for name, config, cls in configs():
        variants = [("", torch.float32), ("-bf16", torch.bfloat16)] + ([("-f16", torch.float16)] if name == "llama" else [])
        for suffix, dtype in variants:
            model = cls(config).eval()
            randomize(model, name.startswith("gemma"))
            save(model, cls, OUT / (name + suffix), dtype)
        print(name, config.model_type, sum(p.numel() for p in model.parameters()))



def smollm2_ids(model_dir="/work/models/smollm2-f32", data="/work/shared/data/smollm2"):
    """Token ids of the shared SmolLM2 training prompts (chat template, no special tokens added),
    for the reproduction test and the benchmark before steer tokenizes itself:
    vectors/runtime/smollm2_train_ids.json = {"harmful": [[ids]...], "harmless": [...]}."""
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    out = {}
    for split in ["harmful", "harmless"]:
        records = json.loads(pathlib.Path(f"{data}/smollm2_train_{split}.prompts.json").read_text())
        ids = []
        for record in records:
            text = tokenizer.apply_chat_template([{"role": "user", "content": record["instruction"]}],
                                                 add_generation_prompt=True, tokenize=False)
            row = tokenizer(text, add_special_tokens=False)["input_ids"]
            assert len(row) == record["n_tokens"], (split, record["row"])
            ids.append(row)
        out[split] = ids
    (OUT / "smollm2_train_ids.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
    if pathlib.Path("/work/models/smollm2-f32").exists():
        smollm2_ids()
