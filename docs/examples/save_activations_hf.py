import torch
from safetensors.torch import save_file


def save_activations(model, tokenizer, prompts, path):
    """Hidden states at the last prompt token, one layer.{i} [N, d] tensor per HF slot i."""
    tokenizer.padding_side = "left"  # so position -1 is every prompt's last token
    chats = [[{"role": "user", "content": p}] for p in prompts]
    texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in chats]
    batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)  # the template has them
    with torch.no_grad():
        hidden = model(**batch, output_hidden_states=True).hidden_states  # L + 1 tensors [N, T, d]
    tensors = {f"layer.{i}": h[:, -1, :].float().contiguous() for i, h in enumerate(hidden)}  # slot 0: embeddings
    save_file(tensors, path, metadata={"steer.layer_convention": "hf_hidden_states"})
