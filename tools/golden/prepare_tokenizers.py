#!/usr/bin/env python3
"""Copy each tokenizer family's tokenizer_config.json (the `text` helper's fixtures, which pair the real
tokenizers with the published chat templates; see src/test/resources/chat-templates/README.md) into the golden
tree, .xz-compressed, so that every golden model directory and reference names one fixed file.

Run locally (plain python3), from the repository root:

    python3 tools/golden/prepare_tokenizers.py

Writes src/test/resources/golden/tokenizers/{qwen2.5,gemma3,llama3}/tokenizer_config.json.xz from
src/test/resources/tokenizers/<family>/tokenizer_config.json[.xz]:
  qwen2.5  Qwen3 npm config with the Qwen2.5-Instruct chat template
  gemma3   the Gemma 3 npm config (Gemma-3-it template)
  llama3   Llama 3 Instruct config with the Llama-3.3-70B-Instruct template (date_string default "26 Jul 2024")
The tokenizer.json files stay where they are (src/test/resources/tokenizers/<family>/tokenizer.json.xz).
"""

import lzma
import os

RES = "src/test/resources"


def main():
    for family in ("qwen2.5", "gemma3", "llama3"):
        src = f"{RES}/tokenizers/{family}/tokenizer_config.json"
        if os.path.exists(src):
            data = open(src, "rb").read()
        else:
            with lzma.open(src + ".xz", "rb") as f:
                data = f.read()
        out = f"{RES}/golden/tokenizers/{family}/tokenizer_config.json.xz"
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(lzma.compress(data, preset=9))
        print(out, os.path.getsize(out))


if __name__ == "__main__":
    main()
