"""Hugging Face transformers on the CPU or a GPU, timed the way `nla bench` times our engine.

Run on the GPU machine, after `nla bench --shape S` has created the random model; on its 16-core CPU:
    python3 tools/bench/hf_bench.py --model ~/.cache/nla/bench/qwen2.5-0.5b --threads 16 \
        --batch 1,8,32 --prompt-len 64 --new-tokens 16 --dtype float32
and on its GPU (tools/bench/gpu_bench.sh): the same with --device cuda --dtype bfloat16.
Prints one JSON object: prefill tokens/s and decode tokens/s per batch size (greedy, EOS ignored), the same
definitions as `nla bench`: prefill = one sequence's prompt through the model; decode = (time for prompt +
new tokens) - (time for prompt + 1 token), over batch x new tokens.
"""
import argparse, json, time

import torch
from transformers import AutoModelForCausalLM


def prompt_ids(length, vocab):
    # The same xorshift sequence as nla.model.bench.Benchmark.promptIds, so both engines see the same prompt.
    ids, x = [], 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    for _ in range(length):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        signed = x - (1 << 64) if x >= (1 << 63) else x
        ids.append(signed % min(vocab, 100_000) + 3)
    return ids


def timed_generate(model, prompt, batch, new_tokens, vocab):
    rows = []
    for b in range(batch):
        ids = list(prompt)
        ids[-1] = (ids[-1] + b) % vocab
        rows.append(ids)
    input_ids = torch.tensor(rows, device=model.device)
    sync(model)
    t0 = time.perf_counter()
    with torch.inference_mode():
        model.generate(input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=new_tokens,
                       min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
    sync(model)
    return time.perf_counter() - t0


def sync(model):
    if model.device.type == "cuda":
        torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--batch", default="1,8,32")
    ap.add_argument("--prompt-len", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=16)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=getattr(torch, a.dtype)).to(a.device).eval()
    vocab = model.config.vocab_size
    prompt = prompt_ids(a.prompt_len, vocab)
    timed_generate(model, prompt, 1, 1, vocab)  # warm-up
    prefill = min(timed_generate(model, prompt, 1, 1, vocab) for _ in range(3))  # best of 3, as nla bench
    out = {"engine": "transformers " + __import__("transformers").__version__, "torch": torch.__version__,
           "dtype": a.dtype, "device": torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu",
           "threads": a.threads, "prompt_len": a.prompt_len, "new_tokens": a.new_tokens,
           "prefill_tokens_per_s": a.prompt_len / prefill, "decode": []}
    for batch in [int(b) for b in a.batch.split(",")]:
        with_prefill = timed_generate(model, prompt, batch, 1, vocab)
        total = timed_generate(model, prompt, batch, a.new_tokens + 1, vocab)
        out["decode"].append({"batch": batch, "tokens_per_s": batch * a.new_tokens / max(1e-9, total - with_prefill)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
