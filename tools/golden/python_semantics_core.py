#!/usr/bin/env python3
"""Python-specific semantics the NLA contract relies on, as golden data for nla.core tests.

Exact command (from the repository root; any Python >= 3.9, standard library only):
    python3 tools/golden/python_semantics_core.py > src/test/resources/golden/core/python_semantics.json

- str.format(**kwargs) of prompt templates: {name}, {{ and }}, and the templates Python refuses;
- str.strip() (the reference strips explanations with it; its whitespace set is wider than Java's);
- the reference's explanation extraction (nla/schema.py extract_explanation).
"""
import json
import re

EXPLANATION_RE = re.compile(r"<explanation>(.*?)</explanation>", re.DOTALL)


def extract(text):
    m = EXPLANATION_RE.search(text)
    return m.group(1).strip() if m else None


FORMAT_CASES = [
    ("av", "<concept>{injection_char}</concept>", {"injection_char": "\u320e"}),
    ("av", "literal {{braces}} and {injection_char} then }}{{", {"injection_char": "\u321c"}),
    ("av", "twice {injection_char}{injection_char}", {"injection_char": "X"}),
    ("ar", "Summary of the following text: <text>{explanation}</text> <summary>",
     {"explanation": "a {brace} in the argument stays {{as is}}"}),
    ("ar", "{explanation}", {"explanation": ""}),
    ("ar", "multi\nline\n\n{explanation}\n", {"explanation": "x\ny"}),
    # refused by Python
    ("av", "unknown {explanation}", {"injection_char": "X"}),
    ("av", "lone } brace {injection_char}", {"injection_char": "X"}),
    ("av", "lone { brace", {"injection_char": "X"}),
    ("av", "positional {} field", {"injection_char": "X"}),
    ("av", "positional {0} field", {"injection_char": "X"}),
]

STRIP_CASES = [
    "  plain  ", "\t\n\x0b\x0c\r x \r\n", "\u00a0nbsp\u00a0", "\u2007figure\u202f", "\u3000ideo\u3000",
    "\u200bzero-width\u200b", "\x1c\x1d\x1e\x1fsep\x85", "\u2028line\u2029", "\ufeffbom\ufeff", "",
]

EXTRACT_CASES = [
    "<explanation>\nThe text is about cats.\n</explanation>",
    "prefix <explanation> one </explanation> middle <explanation> two </explanation>",
    "<explanation>unterminated",
    "no tags at all",
    "</explanation> reversed <explanation>",
    "<explanation></explanation>",
    "<explanation>\u00a0 nbsp-padded \u3000</explanation><end_of_turn>",
    "<explanation>a <explanation> nested </explanation> tail</explanation>",
    "<EXPLANATION>case</EXPLANATION>",
]


def run_format(template, args):
    try:
        return {"ok": template.format(**args)}
    except (KeyError, ValueError, IndexError) as e:
        return {"error": type(e).__name__}


print(json.dumps({
    "format": [{"template": t, "args": a, **run_format(t, a)} for _, t, a in FORMAT_CASES],
    "strip": [{"input": s, "stripped": s.strip()} for s in STRIP_CASES],
    "extract": [{"input": s, "explanation": extract(s)} for s in EXTRACT_CASES],
}, ensure_ascii=False, indent=1))
