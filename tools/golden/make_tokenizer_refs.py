#!/usr/bin/env python3
"""Tokenizer and chat-template references for the three tokenizer families, from Hugging Face transformers 5.17
(tokenizers 0.23; no torch needed).

Run from the repository root with a Python that has transformers 5.17 (e.g. a venv, or the GPU machine):

    python3 tools/golden/make_tokenizer_refs.py

Reads src/test/resources/tokenizers/<family>/tokenizer.json.xz and
src/test/resources/golden/tokenizers/<family>/tokenizer_config.json.xz (see prepare_tokenizers.py) and writes
src/test/resources/golden/tokenizers/<family>/reference.json (format: tools/golden/README.md).
"""

import json
import os
import sys
import tempfile

import transformers
from transformers import AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import copy_tokenizer, write_json  # noqa: E402

RES = "src/test/resources"
FAMILIES = ["qwen2.5", "gemma3", "llama3"]

TEXTS = [
    "Hello world",
    "",
    " leading space and trailing space ",
    "whitespace   runs\t\ttabs\n\nnewlines\r\n  indented\n    code",
    "digits 1234567890 and 3.14159, 1,000,000; phone 555-0199; year 2026",
    "emoji 🙂👍🏽 family 👨‍👩‍👧 flag 🇫🇷 and ❤️",
    "CJK 東京は日本の首都です。中文字符 한국어 テスト",
    "Accents: café naïve façade Ångström Œuvre — “quotes” ‘single’ «guillemets»",
    "injection chars ㈎ and ㈜ alone: ㈎㈜ ㈎ ㈜",
    "<explanation>The text is about cats.</explanation>",
    "Summary of the following text: <text>Storm's coming, it's late.</text> <summary>",
    "special-looking text <|im_start|> <|im_end|> <start_of_turn> <end_of_turn> <|begin_of_text|> <|eot_id|> <bos>",
    "Mixed\u00a0nbsp\u200bzero-width\u2028line-sep and combining e\u0301 vs \u00e9",
    "math ∑_{i=1}^{n} x² ≤ ∞ and arrows → ⇒ ⟶; code: `for (int i = 0; i < n; i++) { x += y; }`",
    "A" * 40 + " " + "ab" * 30,
    # clean_up_tokenization_spaces would turn " ." " ," " !" " ?" " 's" " n't" into ".", ",", ...: HF 5.17 ignores
    # the flag for BPE tokenizers (Llama's config sets it), so decodes keep these spaces.
    "Hello , world . Is it ? Yes ! It 's done , isn 't it ? They 're here ; I 've seen . do n't",
]

CHATS = [
    {"messages": [{"role": "user", "content": "Hello there!"}], "add_generation_prompt": True},
    {"messages": [{"role": "system", "content": "You are a terse assistant."},
                  {"role": "user", "content": "What is 2+2?"}], "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "first question"},
                  {"role": "assistant", "content": "first answer"},
                  {"role": "user", "content": "second ㈎ 東京 🙂"}], "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "Explain this concept:\n<concept>㈜</concept>\n  Answer in "
                                              "<explanation></explanation> tags.  "}],
     "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "no generation prompt"}], "add_generation_prompt": False},
]
LLAMA_DATES = [None, "26 Jul 2024", "15 Aug 2025"]


def token_ids(result):
    """apply_chat_template(tokenize=True) returns a BatchEncoding in transformers 5, a list in 4."""
    if hasattr(result, "keys") and "input_ids" in result:
        result = result["input_ids"]
    return list(result)


def family_reference(family):
    d = tempfile.mkdtemp()
    tok_root = tempfile.mkdtemp()
    os.makedirs(os.path.join(tok_root, family))
    os.symlink(os.path.abspath(f"{RES}/tokenizers/{family}/tokenizer.json.xz"),
               os.path.join(tok_root, family, "tokenizer.json.xz"))
    os.symlink(os.path.abspath(f"{RES}/golden/tokenizers/{family}/tokenizer_config.json.xz"),
               os.path.join(tok_root, family, "tokenizer_config.json.xz"))
    copy_tokenizer(tok_root, family, d)
    tok = AutoTokenizer.from_pretrained(d)
    ref = {
        "family": family,
        "transformers_version": transformers.__version__,
        "tokenizer_class": type(tok).__name__,
        "vocab_size": len(tok),
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "all_special_ids": sorted(tok.all_special_ids),
        "texts": [],
        "chats": [],
    }
    for text in TEXTS:
        with_special = tok(text, add_special_tokens=True, return_offsets_mapping=True)
        without = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = with_special["input_ids"]
        ref["texts"].append({
            "text": text,
            "ids_with_special": ids,
            "ids_without_special": without["input_ids"],
            "tokens_with_special": tok.convert_ids_to_tokens(ids),
            "offsets_with_special": [list(o) for o in with_special["offset_mapping"]],
            "offsets_without_special": [list(o) for o in without["offset_mapping"]],
            "token_texts": [tok.decode([i]) for i in ids],
            "decode_keep_special": tok.decode(ids, skip_special_tokens=False),
            "decode_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    dates = LLAMA_DATES if family == "llama3" else [None]
    for chat in CHATS:
        for date in dates:
            kwargs = {"date_string": date} if date else {}
            rendered = tok.apply_chat_template(chat["messages"], tokenize=False,
                                               add_generation_prompt=chat["add_generation_prompt"], **kwargs)
            ids = token_ids(tok.apply_chat_template(chat["messages"], tokenize=True,
                                                    add_generation_prompt=chat["add_generation_prompt"], **kwargs))
            # The canonical way to get the same ids from the string: encode without adding specials again.
            reencoded = tok(rendered, add_special_tokens=False)["input_ids"]
            entry = dict(chat)
            if date:
                entry["date_string"] = date
            entry.update({"rendered": rendered, "ids": ids, "reencoded_without_special_equals_ids": reencoded == ids})
            ref["chats"].append(entry)
    return ref


def main():
    for family in FAMILIES:
        ref = family_reference(family)
        out = f"{RES}/golden/tokenizers/{family}/reference.json"
        write_json(out, ref)
        print(out, os.path.getsize(out), "chats reencode ok:",
              all(c["reencoded_without_special_equals_ids"] for c in ref["chats"]))


if __name__ == "__main__":
    main()
