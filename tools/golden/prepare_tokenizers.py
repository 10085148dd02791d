#!/usr/bin/env python3
"""Assemble the tokenizer_config.json of each tokenizer family used by the golden fixtures.

Run locally (plain python3, no third-party packages), from the repository root:

    python3 tools/golden/prepare_tokenizers.py

Writes src/test/resources/golden/tokenizers/{qwen2.5,gemma3,llama3}/tokenizer_config.json.xz:
  qwen2.5  the Qwen3 npm tokenizer_config (same BPE and special tokens) with the published Qwen2.5-Instruct
           chat template (src/test/resources/chat-templates/qwen2.5-instruct.chat_template.jinja)
  gemma3   the Gemma 3 npm tokenizer_config as is (its template equals the published Gemma-3-it one)
  llama3   the Llama 3 npm tokenizer_config with the Llama-3.3-Instruct chat template
           (tools/golden/data/llama-3.3-instruct.chat_template.jinja)
The tokenizer.json files themselves stay where they are (src/test/resources/tokenizers/<family>/tokenizer.json.xz).
"""

import json
import lzma
import os

RES = "src/test/resources"


def main():
    qwen = json.load(open(f"{RES}/tokenizers/qwen2.5/tokenizer_config.json.qwen3-original", encoding="utf-8"))
    qwen["chat_template"] = open(f"{RES}/chat-templates/qwen2.5-instruct.chat_template.jinja", encoding="utf-8").read()
    with lzma.open(f"{RES}/tokenizers/gemma3/tokenizer_config.json.xz", "rt", encoding="utf-8") as f:
        gemma = json.load(f)
    gemma_template = open(f"{RES}/chat-templates/gemma-3-it.chat_template.jinja", encoding="utf-8").read()
    assert gemma["chat_template"] == gemma_template, "gemma3 npm template differs from the published one"
    llama = json.load(open(f"{RES}/tokenizers/llama3/tokenizer_config.json.npm-original", encoding="utf-8"))
    llama["chat_template"] = open("tools/golden/data/llama-3.3-instruct.chat_template.jinja", encoding="utf-8").read()
    for family, cfg in (("qwen2.5", qwen), ("gemma3", gemma), ("llama3", llama)):
        out = f"{RES}/golden/tokenizers/{family}/tokenizer_config.json.xz"
        os.makedirs(os.path.dirname(out), exist_ok=True)
        text = json.dumps(cfg, ensure_ascii=False, indent=2) + "\n"
        with open(out, "wb") as f:
            f.write(lzma.compress(text.encode("utf-8"), preset=9))
        print(out, os.path.getsize(out))


if __name__ == "__main__":
    main()
