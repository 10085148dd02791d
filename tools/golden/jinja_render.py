#!/usr/bin/env python3
"""Golden outputs of Jinja templates rendered the way Hugging Face transformers renders chat templates.

Command (from the repository root; needs only jinja2, tested with jinja2 3.1.6):
    python3 tools/golden/jinja_render.py > src/test/resources/golden/jinja/cases.json

The environment mirrors transformers' `_compile_jinja_template` (utils/chat_template_utils.py):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]) with HF's
`tojson` filter (json.dumps, ensure_ascii=False), `raise_exception` and `strftime_now` globals. The
`{% generation %}` tag of HF's AssistantTracker renders its body; it is added here as a no-op extension.
`strftime_now` is pinned to 2026-03-05 14:07:09 so outputs do not depend on the day they were made.

Each case: {"name", "template", "variables", "output"} or, when rendering raises, {"error": message}.
The real chat templates are read from src/test/resources/chat-templates/.
"""
import json
import sys
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

PINNED_NOW = datetime(2026, 3, 5, 14, 7, 9)
ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src/test/resources/chat-templates"


class Generation(Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return PINNED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[Generation, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


# (name, template, variables): small templates, one Jinja feature each.
UNIT = [
    ("text", "hello", {}),
    ("trailing_newline_dropped", "a\n", {}),
    ("two_trailing_newlines", "a\n\n", {}),
    ("print_values", "{{ s }}|{{ i }}|{{ f }}|{{ b }}|{{ n }}|{{ l }}|{{ d }}|{{ undefined_name }}",
     {"s": "x", "i": 3, "f": 2.5, "b": True, "n": None, "l": [1, "a", None], "d": {"k": "v"}}),
    ("float_repr", "{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 1e16 }} {{ 3 / 2 }} {{ 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }}", {}),
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nafter", {}),
    ("lstrip_blocks", "line\n    {% if true %}\n    body\n    {% endif %}\nend", {}),
    ("lstrip_not_for_print", "x\n    {{ 'v' }}\n", {}),
    ("minus_left", "a   \n  {%- if true %}b{% endif %}", {}),
    ("minus_right", "{% if true -%}   \n  b{% endif %}", {}),
    ("minus_print", "a  {{- 'b' -}}  c", {}),
    ("plus_disables_lstrip", "x\n    {%+ if true %}y{% endif %}", {}),
    ("plus_disables_trim", "{% if true +%}\ny{% endif %}", {}),
    ("comment_trim", "a\n{# note #}\nb\n  {#- note -#}  \nc", {}),
    ("raw_block", "{% raw %}{{ not evaluated }}{% endraw %}", {}),
    ("for_loop_vars", "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {"xs": ["a", "b", "c"]}),
    ("for_else", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", {}),
    ("for_filter", "{% for x in range(10) if x is odd %}{{ x }}{{ loop.length }} {% endfor %}", {}),
    ("for_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d|items %}{{ k }}{% endfor %}", {"d": {"a": 1, "b": 2}}),
    ("for_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"x": 1, "y": 2}}),
    ("for_string", "{% for c in 'h€😀' %}[{{ c }}]{% endfor %}", {}),
    ("loop_prev_next_cycle", "{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }}-{{ loop.cycle('a','b') }} {% endfor %}", {}),
    ("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("set_scoping_in_loop", "{% set x = 'outer' %}{% for i in [1, 2] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}", {}),
    ("set_in_if_leaks", "{% if true %}{% set y = 5 %}{% endif %}{{ y }}", {}),
    ("namespace", "{% set ns = namespace(found=false, n=0) %}{% for x in [1, 2, 3] %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.found }} {{ ns.n }}", {}),
    ("set_block", "{% set body %}a{{ 1 + 1 }}b{% endset %}[{{ body }}]", {}),
    ("set_tuple", "{% set a, b = [1, 2] %}{{ b }}{{ a }}", {}),
    ("slicing", "{{ xs[1:] }}{{ xs[:-1] }}{{ xs[::-1] }}{{ xs[::2] }}{{ xs[-2:] }}{{ s[1:3] }}{{ s[::-1] }}{{ xs[5:] }}", {"xs": [1, 2, 3, 4], "s": "a😀bc"}),
    ("indexing", "{{ xs[0] }}{{ xs[-1] }}{{ d['k'] }}{{ d.k }}{{ s[1] }}|{{ xs[10] }}|{{ d.missing }}|", {"xs": [1, 2, 3], "d": {"k": "v"}, "s": "a😀b"}),
    ("is_tests", "{{ x is defined }}{{ y is defined }}{{ y is undefined }}{{ n is none }}{{ s is string }}{{ i is number }}{{ i is integer }}{{ f is float }}{{ d is mapping }}{{ l is iterable }}{{ s is iterable }}{{ i is iterable }}{{ l is sequence }}{{ b is boolean }}{{ b is true }}{{ 4 is divisibleby 2 }}{{ 3 is even }}{{ 'a' is in 'cat' }}{{ x is not none }}{{ 'x' is equalto 'x' }}{{ s is lower }}",
     {"x": 1, "n": None, "s": "abc", "i": 3, "f": 1.5, "d": {}, "l": [], "b": True}),
    ("operators", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 'a' ~ 1 ~ none }} {{ 'ab' * 3 }} {{ [1] + [2] }} {{ not true }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'b' in 'abc' }} {{ 2 not in [1, 3] }} {{ 1 == 1.0 }} {{ true == 1 }} {{ '1' == 1 }} {{ -3 }} {{ x or 'default' }} {{ 0 and 'no' }}", {"x": ""}),
    ("conditional_expr", "{{ 'a' if true else 'b' }}{{ 'a' if false else 'b' }}[{{ 'a' if false }}]", {}),
    ("filters_strings", "{{ '  x y  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'Hello' | upper }}{{ 'Hello' | lower }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'abc' | length }}|{{ [1, 2] | count }}",
     {}),
    ("trim_python_whitespace", "[{{ s | trim }}]", {"s": "\u00a0\u2003 x \u3000\n\u200b"}),
    ("filters_lists", "{{ xs | join(', ') }}|{{ xs | first }}|{{ xs | last }}|{{ xs | reverse | list }}|{{ xs | sort }}|{{ xs | unique | list }}|{{ xs | sum }}|{{ xs | min }}{{ xs | max }}|{{ xs | select('odd') | list }}|{{ xs | reject('odd') | list }}|{{ 'abc' | list }}",
     {"xs": [3, 1, 2, 3]}),
    ("filters_attrs", "{{ ms | map(attribute='role') | join(',') }}|{{ ms | selectattr('role', 'equalto', 'user') | list | length }}|{{ ms | rejectattr('role', 'equalto', 'user') | map(attribute='content') | first }}|{{ ['a', 'code_interpreter', 'b'] | reject('equalto', 'code_interpreter') | join(', ') }}",
     {"ms": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}),
    ("filters_default", "{{ missing | default('dflt') }}|{{ '' | default('dflt') }}|{{ '' | default('dflt', true) }}|{{ none | d('x') }}", {}),
    ("filters_numbers", "{{ '42' | int }}{{ 'x' | int }}{{ 3.7 | int }}|{{ '2.5' | float }}|{{ -3 | abs }}|{{ 2.567 | round(2) }}|{{ 2.5 | round }}|{{ 7 | string }}{{ 7 | string | length }}", {}),
    ("filter_indent", "{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}", {}),
    ("tojson", "{{ d | tojson }}|{{ l | tojson }}|{{ 'é\"\\\n' | tojson }}|{{ d | tojson(indent=2) }}|{{ {} | tojson }}|{{ [] | tojson(indent=4) }}|{{ 1.0 | tojson }}",
     {"d": {"b": [1, 2.5, None, True], "a": {"x": "ü😀"}}, "l": ["a", {"k": []}]}),
    ("tojson_sort_keys", "{{ d | tojson(sort_keys=true) }}", {"d": {"b": 1, "a": 2}}),
    ("string_methods", "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ s.startswith(' ') }}{{ 'abc'.endswith(('x', 'c')) }}|{{ 'abc'.upper() }}{{ 'ABC'.lower() }}|{{ 'aXbX'.replace('X', '-') }}|{{ 'hello'.find('l') }}{{ 'hello'.count('l') }}|{{ '-'.join(['a', 'b']) }}|{{ 'x\ny\n'.splitlines() }}|{{ '</think>\n\nrest'.split('</think>')[-1].lstrip('\n') }}",
     {"s": "  pad  "}),
    ("dict_methods", "{{ d.get('a') }}{{ d.get('z') }}{{ d.get('z', 'dflt') }}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ 'a' in d }}{{ 'z' in d }}", {"d": {"a": 1, "b": 2}}),
    ("dict_literal_and_items_attr", "{% set d = {'items': 1, 'k': {'n': 2}} %}{{ d.k.n }}{{ d['items'] }}{{ d.items() | list | length }}", {}),
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C', punct='.') }}", {}),
    ("range", "{{ range(3) | list }}{{ range(1, 7, 2) | list }}{{ range(3, 0, -1) | list }}", {}),
    ("dict_global", "{{ dict(a=1, b='x') | tojson }}", {}),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%A %B %j %p %y') }}", {}),
    ("raise_exception", "before{{ raise_exception('Conversation roles must alternate') }}", {}),
    ("undefined_attribute_error", "{{ missing.attr }}", {}),
    ("generation_tag", "a{% generation %}b{{ 1 }}{% endgeneration %}c", {}),
    ("whitespace_mixed", "{%- for m in ms -%}\n  <{{ m }}>\n{%- endfor -%}\n\n{{ 'end' }}", {"ms": ["x", "y"]}),
    ("nested_loops_loop_var", "{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }};{% endfor %}", {}),
    ("string_escapes", "{{ 'tab\\there' }}|{{ \"dq 'sq'\" }}|{{ 'uni \\u00e9 \\x41' }}|{{ 'a' 'b' }}", {}),
    ("repr_in_list", "{{ ['it\\'s', 'a\"b', 'n\\nl', 1.5, none, true] }}", {}),
]

MESSAGE_LISTS = {
    "user": [{"role": "user", "content": "Hello there!"}],
    "user_unicode_ws": [{"role": "user", "content": "  Tabs\tand  spaces, é 😀 中文 ㈎ ㈜ <explanation>x</explanation>\n\n"}],
    "system_user": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
    "system_user_assistant_user": [
        {"role": "system", "content": "Be brief. "},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3+3?"},
    ],
    "user_assistant": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
    "assistant_with_think": [
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "<think>\nreasoning here\n</think>\n\nFinal answer"},
        {"role": "user", "content": "Q2"},
    ],
    "roles_not_alternating": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
}

SPECIAL_TOKENS = {
    "qwen2.5-instruct": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "qwen3": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "gemma-3-it": {"bos_token": "<bos>", "eos_token": "<end_of_turn>", "pad_token": "<pad>", "unk_token": "<unk>"},
    "llama-3.3-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama-3.2-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "more/mistral-nemo-instruct-2407": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "more/granite-3.3-instruct": {"eos_token": "<|end_of_text|>", "pad_token": "<|end_of_text|>"},
}

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city, in \u00b0C",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "Name, e.g. \"Zürich\""},
                                                    "days": {"type": "integer"}},
                   "required": ["city"]}}}]


def whitespace_fuzz(count=150, seed=20261124):
    """Random templates mixing text, newlines, indentation and every whitespace-control form of block,
    print and comment tags: the lexer rules (trim_blocks, lstrip_blocks, -, +) in every combination."""
    import random

    rng = random.Random(seed)
    texts = ["", " ", "  ", "\n", "\n  ", "  \n", "\n\n", "\t", "a", " b ", "c\n", "\n d", "\n    "]
    opens = ["{%", "{%-", "{%+"]
    closes = ["%}", "-%}", "+%}"]
    cases = []
    for n in range(count):
        parts = []
        for _ in range(rng.randint(2, 7)):
            parts.append(rng.choice(texts))
            kind = rng.choice(["if", "for", "print", "comment", "set"])
            o, c = rng.choice(opens), rng.choice(closes)
            if kind == "if":
                inner = rng.choice(texts) + "x" + rng.choice(texts)
                parts.append(f"{o} if flag {c}{inner}{rng.choice(opens)} endif {rng.choice(closes)}")
            elif kind == "for":
                inner = rng.choice(texts) + "{{ i }}" + rng.choice(texts)
                parts.append(f"{o} for i in [1, 2] {c}{inner}{rng.choice(opens)} endfor {rng.choice(closes)}")
            elif kind == "print":
                parts.append(rng.choice(["{{", "{{-"]) + " 'p' " + rng.choice(["}}", "-}}"]))
            elif kind == "comment":
                parts.append(rng.choice(["{#", "{#-"]) + " note " + rng.choice(["#}", "-#}"]))
            else:
                parts.append(f"{o} set v = 1 {c}")
        parts.append(rng.choice(texts))
        cases.append((f"whitespace_fuzz_{n:03d}", "".join(parts), {"flag": rng.random() < 0.7}))
    return cases


def render(env, template, variables):
    try:
        return {"output": env.from_string(template).render(**variables)}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}


def main():
    env = environment()
    cases = []
    for name, template, variables in UNIT + whitespace_fuzz():
        cases.append({"name": name, "template": template, "variables": variables, **render(env, template, variables)})
    for family, specials in SPECIAL_TOKENS.items():
        template = (TEMPLATES / f"{family}.chat_template.jinja").read_text()
        for list_name, messages in MESSAGE_LISTS.items():
            for add_generation_prompt in (True, False):
                # What transformers passes: messages, tools=None, documents=None, add_generation_prompt, specials.
                variables = {"messages": messages, "tools": None, "documents": None,
                             "add_generation_prompt": add_generation_prompt, **specials}
                cases.append({"name": f"{family}/{list_name}/gen={add_generation_prompt}",
                              "template_file": f"{family}.chat_template.jinja",
                              "variables": variables, **render(env, template, variables)})
        variables = {"messages": MESSAGE_LISTS["user"], "tools": TOOLS, "documents": None,
                     "add_generation_prompt": True, **specials}
        cases.append({"name": f"{family}/user/tools", "template_file": f"{family}.chat_template.jinja",
                      "variables": variables, **render(env, template, variables)})
        if family.startswith("llama-3"):
            variables = {"messages": MESSAGE_LISTS["user"], "tools": None, "documents": None,
                         "add_generation_prompt": True, "date_string": "15 Aug 2025", **specials}
            cases.append({"name": f"{family}/user/pinned_date_string", "template_file": f"{family}.chat_template.jinja",
                          "variables": variables, **render(env, template, variables)})
    json.dump({"jinja2_version": jinja2.__version__, "pinned_now": PINNED_NOW.isoformat(), "cases": cases},
              sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
