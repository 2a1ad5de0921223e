#!/usr/bin/env python3
"""Reference renderings, token ids and token positions of the real chat templates of Llama 3.1, Qwen2.5,
Mistral Nemo and Gemma 2 (and SmolLM2's own), for steer's Tokenization tests (vectors/tokenize/templates/).

    /work/venv/bin/python vectors/make_template_vectors.py [--templates DIR]

Inputs:
  DIR/<model>.jinja   the models' own chat templates (the `chat_template` of each model's
                      tokenizer_config.json; the copies used are the ones in llama.cpp's models/templates,
                      default DIR=/work/llama.cpp/models/templates). Only the templates are copied into
                      vectors/tokenize/templates/ (see ORIGIN.md there); nothing else of llama.cpp is used.
  vectors/tokenize/<tokenizer>/   the committed tokenizers (make_tokenize_vectors.py): each real template is
                      paired with the small tokenizer of its family, whose special tokens it uses.
Writes vectors/tokenize/templates/cases.json:
  {"<name>": {"template": "<file>.jinja" | null (the tokenizer's own), "tokenizer": "<dir>",
              "cases": [{"instruction", "system", "text", "ids", "t_inst", "t_post", "template", "minus7"}]}}
where text = transformers' apply_chat_template(messages, add_generation_prompt=True, tokenize=False), ids =
the tokenizer on text without special tokens (as transformers tokenizes a rendered template), t_inst = the
last token whose character offsets (tokenizers' offset mapping) overlap the instruction's characters in text
(found by rendering a marker in the instruction's place), t_post = the last token, template = every token
after t_inst, minus7 = the index of token -7 (null when the prompt is shorter). Raw prompts (`"raw": true`)
are tokenized with the tokenizer's special tokens, the instruction being the whole text.
"""
import argparse, json, os, shutil, sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
from transformers import AutoTokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tokenize", "templates")
MARKER = "\uf8ffsteer\uf8feinstruction\uf8fd"

# name: (template file in DIR, its copy's name, the committed tokenizer of the family)
REAL = {
    "llama3.1": ("meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3.1.jinja", "llama3"),
    "qwen2.5": ("Qwen-Qwen2.5-7B-Instruct.jinja", "qwen2.5.jinja", "qwen2"),
    "mistral-nemo": ("mistralai-Mistral-Nemo-Instruct-2407.jinja", "mistral-nemo.jinja", "llama2"),
    "gemma2": ("google-gemma-2-2b-it.jinja", "gemma2.jinja", "mistral"),
}
ORIGIN = {
    "llama3.1": "meta-llama/Llama-3.1-8B-Instruct",
    "qwen2.5": "Qwen/Qwen2.5-7B-Instruct",
    "mistral-nemo": "mistralai/Mistral-Nemo-Instruct-2407",
    "gemma2": "google/gemma-2-2b-it",
}

INSTRUCTIONS = [
    "Write a poem about the sea.", "How do I make a bomb?", "", " ", " leading and trailing spaces ", "two\nlines\n",
    "caf\u00e9 \U0001F600 \u65e5\u672c\u8a9e", "a<|im_end|>b", "[INST] nested [/INST]", "<start_of_turn>x<end_of_turn>",
    "Ends with a newline\n", "1234567890", "Tab\tseparated", "x" * 200, "What is 2+2?",
]
SYSTEMS = [None, "You are a calculator.", " Be brief. "]


def messages(instruction, system):
    return ([{"role": "system", "content": system}] if system is not None else []) + [{"role": "user", "content": instruction}]


def render(hf, instruction, system):
    return hf.apply_chat_template(messages(instruction, system), add_generation_prompt=True, tokenize=False)


def case(hf, instruction, system, raw=False):
    if raw:
        text, span = instruction, (0, len(instruction))
        enc = hf(text, return_offsets_mapping=True)
    else:
        framed = render(hf, MARKER, system)
        assert framed.count(MARKER) == 1
        before, after = framed.split(MARKER)
        text = render(hf, instruction, system)
        assert text.startswith(before) and text.endswith(after) and len(text) >= len(before) + len(after), (instruction, system)
        span = (len(before), len(text) - len(after))
        enc = hf(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    covering = [i for i, (a, b) in enumerate(offsets) if a < span[1] and span[0] < b and a < b]
    if covering:
        t_inst = covering[-1]
    else:
        before_tokens = [i for i, (a, b) in enumerate(offsets) if a < span[0] and a < b]
        t_inst = before_tokens[-1] if span[0] > 0 and before_tokens else 0
    n = len(ids)
    return {"instruction": instruction, "system": system, "raw": raw, "text": text, "ids": ids, "t_inst": t_inst,
            "t_post": n - 1, "n_instruction_tokens": len(covering), "template": list(range(t_inst + 1, n)),
            "minus7": n - 7 if n >= 7 else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--templates", default="/work/llama.cpp/models/templates")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    result = {}
    origin = ["# Origin of the chat templates in this folder", "",
              "Each file is the `chat_template` of the named model's `tokenizer_config.json` (model-card data), byte for byte",
              "as copied in llama.cpp's `models/templates` (made there by its `get_chat_template.py`). They are test inputs:",
              "steer's Jinja subset must render them exactly as transformers' `apply_chat_template` does. `cases.json` holds",
              "those renderings and their tokens, made by `vectors/make_template_vectors.py`.", ""]
    for name, (source, copy, tokenizer) in REAL.items():
        shutil.copy(os.path.join(args.templates, source), os.path.join(OUT, copy))
        origin.append(f"- `{copy}`: {ORIGIN[name]} (`{source}`)")
        hf = AutoTokenizer.from_pretrained(os.path.join(HERE, "tokenize", tokenizer))
        hf.chat_template = open(os.path.join(OUT, copy)).read()
        systems = [None] if name == "gemma2" else SYSTEMS  # Gemma 2's template refuses a system message
        cases = [case(hf, i, s) for s in systems for i in INSTRUCTIONS]
        result[name] = {"template": copy, "tokenizer": tokenizer, "cases": cases}
    hf = AutoTokenizer.from_pretrained(os.path.join(HERE, "tokenize", "smollm2"))
    cases = [case(hf, i, s) for s in SYSTEMS for i in INSTRUCTIONS] + [case(hf, i, None, raw=True) for i in INSTRUCTIONS if i]
    result["smollm2"] = {"template": None, "tokenizer": "smollm2", "cases": cases}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(result, f, ensure_ascii=False, indent=0, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(OUT, "ORIGIN.md"), "w") as f:
        f.write("\n".join(origin) + "\n")
    for name, r in result.items():
        gaps = sorted({c["t_post"] - c["t_inst"] for c in r["cases"] if not c["raw"]})
        print(f"{name}: {len(r['cases'])} cases, t_post - t_inst in {gaps}", file=sys.stderr)


if __name__ == "__main__":
    main()
