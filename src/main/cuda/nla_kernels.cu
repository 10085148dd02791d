// The CUDA backend's own kernels (nla.backend.cuda.CudaBackend launches them by name through the driver API).
// Activations are fp32 [rows, cols] row-major; weights bf16; the KV cache is paged bf16 [slot][kvDim] per layer.
// Every reduction (norm sums, softmax) accumulates in fp32, as transformers does in bf16 mode.
//
// Built ahead of time by scripts/build-cuda.sh (sm_80 and sm_90 cubins plus PTX, packed in the jar).

#include <cuda_bf16.h>

// No <math.h>: NVRTC (the run-time compile path) has no C library headers; device math is built in.
#define NEG_INF __int_as_float(0xff800000)

typedef __nv_bfloat16 bf16;

#define FOR_EACH(i, n) \
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < (n); i += (long)gridDim.x * blockDim.x)

// Sum over the block; every thread gets the result. blockDim.x is a multiple of 32, at most 1024.
__device__ float block_sum(float v) {
  __shared__ float partial[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // partial may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  int warps = blockDim.x / 32;
  v = lane < warps ? partial[lane] : 0.f;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// fp32 -> bf16, round to nearest even (the operand of every weight product).
extern "C" __global__ void to_bf16(const float* __restrict__ x, bf16* __restrict__ y, long n) {
  FOR_EACH(i, n) y[i] = __float2bfloat16_rn(x[i]);
}

#define GEMV_ROWS_MAX 4

// Adds w's 8 bf16 weights times x's 8 bf16 values (16 bytes each) to acc, in fp32.
__device__ __forceinline__ float dot8(uint4 w, uint4 x, float acc) {
  const __nv_bfloat162* wp = reinterpret_cast<const __nv_bfloat162*>(&w);
  const __nv_bfloat162* xp = reinterpret_cast<const __nv_bfloat162*>(&x);
#pragma unroll
  for (int j = 0; j < 4; j++) {
    float2 a = __bfloat1622float2(wp[j]), b = __bfloat1622float2(xp[j]);
    acc = fmaf(a.x, b.x, acc);
    acc = fmaf(a.y, b.y, acc);
  }
  return acc;
}

// y[m, o] = sum_k x[m, k] * w[o, k] for m < rows <= GEMV_ROWS_MAX (bf16 operands, fp32 accumulation, fp32 out): the
// decode product of a few sequences. There every weight is read once per step and nothing is reused, so the step is
// bound by how fast the weights stream from HBM; a general GEMM tiles for reuse that is not there. One warp per
// output column o: each lane reads 16 bytes of the weight row at a time, four loads in flight before their sums, and
// the warp adds its lanes' sums at the end (a fixed order: the same inputs give the same bits). The input rows are
// tiny and shared by every warp, so they come from cache. With accumulate, y += the product (the residual add of a
// block's last product, add_in_place's one fp32 sum). Requires in % 8 == 0 and 16-byte aligned rows.
extern "C" __global__ void gemv_bf16(const bf16* __restrict__ x, const bf16* __restrict__ w, float* __restrict__ y,
                                     int rows, int in, int out, int accumulate) {
  const long o = (blockIdx.x * (long)blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (o >= out) return;
  const uint4* wr = reinterpret_cast<const uint4*>(w + o * in);
  const uint4* xr = reinterpret_cast<const uint4*>(x);
  const int chunks = in >> 3;
  float acc[GEMV_ROWS_MAX] = {0.f, 0.f, 0.f, 0.f};
  int c = lane;
  for (; c + 96 < chunks; c += 128) {
    uint4 w0 = __ldg(wr + c), w1 = __ldg(wr + c + 32), w2 = __ldg(wr + c + 64), w3 = __ldg(wr + c + 96);
#pragma unroll
    for (int m = 0; m < GEMV_ROWS_MAX; m++) {
      if (m < rows) {
        const uint4* xm = xr + (long)m * chunks;
        acc[m] = dot8(w0, __ldg(xm + c), acc[m]);
        acc[m] = dot8(w1, __ldg(xm + c + 32), acc[m]);
        acc[m] = dot8(w2, __ldg(xm + c + 64), acc[m]);
        acc[m] = dot8(w3, __ldg(xm + c + 96), acc[m]);
      }
    }
  }
  for (; c < chunks; c += 32) {
    uint4 w0 = __ldg(wr + c);
#pragma unroll
    for (int m = 0; m < GEMV_ROWS_MAX; m++)
      if (m < rows) acc[m] = dot8(w0, __ldg(xr + (long)m * chunks + c), acc[m]);
  }
#pragma unroll
  for (int m = 0; m < GEMV_ROWS_MAX; m++) {
    float v = acc[m];
    for (int s = 16; s > 0; s >>= 1) v += __shfl_xor_sync(0xffffffffu, v, s);
    if (lane == 0 && m < rows) {
      if (accumulate)
        y[(long)m * out + o] += v;
      else
        y[(long)m * out + o] = v;
    }
  }
}

// out[r] = bf16(table[ids[r]] * scale): the embedding module of a bf16 model multiplies in bf16 (the caller passes
// the scale already rounded to bf16, as transformers rounds Gemma's sqrt(d)). Grid: one block per row.
extern "C" __global__ void embed_rows(const bf16* __restrict__ table, const int* __restrict__ ids, float scale,
                                      float* __restrict__ out, int d) {
  long src = (long)ids[blockIdx.x] * d;
  long dst = (long)blockIdx.x * d;
  for (int j = threadIdx.x; j < d; j += blockDim.x)
    out[dst + j] = __bfloat162float(__float2bfloat16_rn(__bfloat162float(table[src + j]) * scale));
}

// out[i] = x[rows[i]]. Grid: one block per output row.
extern "C" __global__ void gather_rows(const float* __restrict__ x, const int* __restrict__ rows,
                                       float* __restrict__ out, int cols) {
  long src = (long)rows[blockIdx.x] * cols;
  long dst = (long)blockIdx.x * cols;
  for (int j = threadIdx.x; j < cols; j += blockDim.x) out[dst + j] = x[src + j];
}

// RMSNorm: x / sqrt(mean(x^2) + eps) * w, or * (1 + w) (Gemma). A decode step has one row per sequence, so at small
// batches a norm is a single block and its time is the latency of the loads each thread waits on in turn: the
// kernels read four values per load (float4) where the group allows, with up to 1024 threads, so that a thread makes
// one or two trips. Unaligned groups (a group size not a multiple of 4) take the one-value path.

// y = x * inv * w (or * (1 + w)) over one group, also as bf16 into yb when not null: the end of every RMSNorm.
// x is not __restrict__: add_rms_norm passes the row it has just written, which must not come through the read-only
// cache.
__device__ void scale_rows(const float* x, const float* __restrict__ w, float* __restrict__ y,
                           bf16* __restrict__ yb, int group, float inv, int addOne) {
  const float one = addOne ? 1.f : 0.f;
  if ((group & 3) == 0) {
    const float4* x4 = reinterpret_cast<const float4*>(x);
    const float4* w4 = reinterpret_cast<const float4*>(w);
    for (int j = threadIdx.x; j < group / 4; j += blockDim.x) {
      float4 a = x4[j], b = w4[j];
      float4 v = make_float4(a.x * inv * (one + b.x), a.y * inv * (one + b.y), a.z * inv * (one + b.z),
                             a.w * inv * (one + b.w));
      reinterpret_cast<float4*>(y)[j] = v;
      if (yb) {
        __nv_bfloat162* out = reinterpret_cast<__nv_bfloat162*>(yb + 4 * j);
        out[0] = __floats2bfloat162_rn(v.x, v.y);
        out[1] = __floats2bfloat162_rn(v.z, v.w);
      }
    }
    return;
  }
  for (int j = threadIdx.x; j < group; j += blockDim.x) {
    float v = x[j] * inv * (one + w[j]);
    y[j] = v;
    if (yb) yb[j] = __float2bfloat16_rn(v);
  }
}

__device__ __forceinline__ float squares(float4 v) { return v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w; }

// RMSNorm of each group of `group` values (a row, or one head), also rounded to bf16 into yb when yb is not null (the
// operand of the product that follows). Grid: one block per group.
extern "C" __global__ void rms_norm(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
                                    bf16* __restrict__ yb, int group, float eps, int addOne) {
  const long base = (long)blockIdx.x * group;
  float s = 0.f;
  if ((group & 3) == 0) {
    const float4* x4 = reinterpret_cast<const float4*>(x + base);
    for (int j = threadIdx.x; j < group / 4; j += blockDim.x) s += squares(x4[j]);
  } else {
    for (int j = threadIdx.x; j < group; j += blockDim.x) s += x[base + j] * x[base + j];
  }
  scale_rows(x + base, w, y + base, yb ? yb + base : nullptr, group, rsqrtf(block_sum(s) / group + eps), addOne);
}

// acc += x, then rms_norm of each row of acc into y (and yb): the residual add and the next norm in one pass.
// Grid: one block per row.
extern "C" __global__ void add_rms_norm(float* __restrict__ acc, const float* __restrict__ x, const float* __restrict__ w,
                                        float* __restrict__ y, bf16* __restrict__ yb, int cols, float eps, int addOne) {
  const long base = (long)blockIdx.x * cols;
  float s = 0.f;
  if ((cols & 3) == 0) {
    float4* a4 = reinterpret_cast<float4*>(acc + base);
    const float4* x4 = reinterpret_cast<const float4*>(x + base);
    for (int j = threadIdx.x; j < cols / 4; j += blockDim.x) {
      float4 a = a4[j], b = x4[j];
      float4 v = make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
      a4[j] = v;
      s += squares(v);
    }
  } else {
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
      float v = acc[base + j] + x[base + j];
      acc[base + j] = v;
      s += v * v;
    }
  }
  scale_rows(acc + base, w, y + base, yb ? yb + base : nullptr, cols, rsqrtf(block_sum(s) / cols + eps), addOne);
}

// Rotary embedding in place, halves rotated (transformers' rotate_half): angle = position * invFreq[i] in fp32.
// Grid: one block per row; threads over heads * headDim / 2 pairs.
extern "C" __global__ void rope(float* __restrict__ x, const int* __restrict__ positions,
                                const float* __restrict__ invFreq, int heads, int headDim) {
  int half = headDim / 2;
  long row = (long)blockIdx.x * heads * headDim;
  float pos = (float)positions[blockIdx.x];
  for (int p = threadIdx.x; p < heads * half; p += blockDim.x) {
    int h = p / half, i = p % half;
    float angle = pos * invFreq[i];
    float c = cosf(angle), s = sinf(angle);
    float* head = x + row + (long)h * headDim;
    float x1 = head[i], x2 = head[i + half];
    head[i] = x1 * c - x2 * s;
    head[i + half] = x2 * c + x1 * s;
  }
}

// act(g) * u: act 0 = SiLU, 1 = GELU with the tanh approximation.
__device__ float gated(float g, float u, int act) {
  float a;
  if (act == 0) {
    a = g / (1.f + expf(-g));
  } else {
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    a = 0.5f * g * (1.f + tanhf(k * (g + 0.044715f * g * g * g)));
  }
  return a * u;
}

// act(gate) * up elementwise; also as bf16 into outb when not null.
extern "C" __global__ void gated_activation(const float* __restrict__ gate, const float* __restrict__ up,
                                            float* __restrict__ out, bf16* __restrict__ outb, long n, int act) {
  FOR_EACH(i, n) {
    float v = gated(gate[i], up[i], act);
    out[i] = v;
    if (outb) outb[i] = __float2bfloat16_rn(v);
  }
}

// The same over one product against the stacked [gate; up] weights: row r of gu is gate's ff values, then up's.
extern "C" __global__ void gated_activation_stacked(const float* __restrict__ gu, float* __restrict__ out,
                                                    bf16* __restrict__ outb, long rows, int ff, int act) {
  FOR_EACH(i, rows * ff) {
    long r = i / ff;
    int j = (int)(i % ff);
    float v = gated(gu[r * 2 * ff + j], gu[r * 2 * ff + ff + j], act);
    out[i] = v;
    if (outb) outb[i] = __float2bfloat16_rn(v);
  }
}

// The gate/up product of a few decode rows and the gated activation in one pass: output column o of the stacked
// [gate; up] weights pairs weight rows o and ff + o, so the warp that owns o reads both and writes act(gate) * up
// (fp32, and bf16 for down_proj) where gemv_bf16 plus gated_activation_stacked write the 2 * ff products first and
// read them back. Each sum is gemv_bf16's, in gemv_bf16's order: the same bits. Requires in % 8 == 0 and 16-byte
// aligned rows.
extern "C" __global__ void gemv_gated_bf16(const bf16* __restrict__ x, const bf16* __restrict__ w,
                                           float* __restrict__ out, bf16* __restrict__ outb, int rows, int in, int ff,
                                           int act) {
  const long o = (blockIdx.x * (long)blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (o >= ff) return;
  const uint4* gr = reinterpret_cast<const uint4*>(w + o * in);
  const uint4* ur = reinterpret_cast<const uint4*>(w + (ff + o) * in);
  const uint4* xr = reinterpret_cast<const uint4*>(x);
  const int chunks = in >> 3;
  float g[GEMV_ROWS_MAX] = {0.f, 0.f, 0.f, 0.f}, u[GEMV_ROWS_MAX] = {0.f, 0.f, 0.f, 0.f};
  int c = lane;
  for (; c + 96 < chunks; c += 128) {
    uint4 g0 = __ldg(gr + c), g1 = __ldg(gr + c + 32), g2 = __ldg(gr + c + 64), g3 = __ldg(gr + c + 96);
    uint4 u0 = __ldg(ur + c), u1 = __ldg(ur + c + 32), u2 = __ldg(ur + c + 64), u3 = __ldg(ur + c + 96);
#pragma unroll
    for (int m = 0; m < GEMV_ROWS_MAX; m++) {
      if (m < rows) {
        const uint4* xm = xr + (long)m * chunks;
        uint4 x0 = __ldg(xm + c), x1 = __ldg(xm + c + 32), x2 = __ldg(xm + c + 64), x3 = __ldg(xm + c + 96);
        g[m] = dot8(g3, x3, dot8(g2, x2, dot8(g1, x1, dot8(g0, x0, g[m]))));
        u[m] = dot8(u3, x3, dot8(u2, x2, dot8(u1, x1, dot8(u0, x0, u[m]))));
      }
    }
  }
  for (; c < chunks; c += 32) {
    uint4 g0 = __ldg(gr + c), u0 = __ldg(ur + c);
#pragma unroll
    for (int m = 0; m < GEMV_ROWS_MAX; m++) {
      if (m < rows) {
        uint4 x0 = __ldg(xr + (long)m * chunks + c);
        g[m] = dot8(g0, x0, g[m]);
        u[m] = dot8(u0, x0, u[m]);
      }
    }
  }
#pragma unroll
  for (int m = 0; m < GEMV_ROWS_MAX; m++) {
    float a = g[m], b = u[m];
    for (int s = 16; s > 0; s >>= 1) {
      a += __shfl_xor_sync(0xffffffffu, a, s);
      b += __shfl_xor_sync(0xffffffffu, b, s);
    }
    if (lane == 0 && m < rows) {
      float v = gated(a, b, act);
      out[(long)m * ff + o] = v;
      outb[(long)m * ff + o] = __float2bfloat16_rn(v);
    }
  }
}

// Splits y[rows, c0 + c1 + c2], one product against stacked weights, into its parts, each plus its bias (a null bias
// adds nothing; c2 = 0 for two parts).
extern "C" __global__ void split_columns(const float* __restrict__ y, long rows, float* __restrict__ o0,
                                         const float* __restrict__ b0, int c0, float* __restrict__ o1,
                                         const float* __restrict__ b1, int c1, float* __restrict__ o2,
                                         const float* __restrict__ b2, int c2) {
  int total = c0 + c1 + c2;
  FOR_EACH(i, rows * total) {
    long r = i / total;
    int c = (int)(i % total);
    float v = y[i];
    if (c < c0) {
      o0[r * c0 + c] = b0 ? v + b0[c] : v;
    } else if (c < c0 + c1) {
      c -= c0;
      o1[r * c1 + c] = b1 ? v + b1[c] : v;
    } else {
      c -= c0 + c1;
      o2[r * c2 + c] = b2 ? v + b2[c] : v;
    }
  }
}

#define QKV_WARPS 4
#define QKV_HEAD_MAX 256

// One product's output against the stacked q/k/v weights, y[row] = [q heads | k heads | v heads], made into the
// attention's inputs in one pass: each head plus its bias, q and k heads RMS-normed when their weights are given
// (Gemma 3's q_norm/k_norm; rms_norm's arithmetic, x * inv * w or * (1 + w)), q and k rotated at the row's position
// (rope's arithmetic). q goes to q [rows, heads * headDim] in fp32; k and v go straight into the row's cache slot as
// bf16 (kv_store's rounding). In place of split_columns, two rms_norm, two rope and a kv_store launch per layer.
// Grid: (rows, ceil((heads + 2 * kvHeads) / QKV_WARPS)); one warp per head; headDim <= QKV_HEAD_MAX.
extern "C" __global__ void qkv_heads(const float* __restrict__ y, const float* __restrict__ qBias,
                                     const float* __restrict__ kBias, const float* __restrict__ vBias,
                                     const float* __restrict__ qNorm, const float* __restrict__ kNorm, float eps,
                                     int addOne, const int* __restrict__ positions, const float* __restrict__ invFreq,
                                     int numHeads, int numKvHeads, int headDim, float* __restrict__ q,
                                     const int* __restrict__ slots, bf16* __restrict__ kPool,
                                     bf16* __restrict__ vPool) {
  __shared__ float heads[QKV_WARPS][QKV_HEAD_MAX];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int head = blockIdx.y * QKV_WARPS + warp;
  if (head >= numHeads + 2 * numKvHeads) return;
  const long row = blockIdx.x;
  const long cacheRow = (long)slots[row] * numKvHeads * headDim;
  const float *bias, *norm;
  int h;
  if (head < numHeads) {
    h = head, bias = qBias, norm = qNorm;
  } else if (head < numHeads + numKvHeads) {
    h = head - numHeads, bias = kBias, norm = kNorm;
  } else {
    h = head - numHeads - numKvHeads, bias = vBias, norm = nullptr;
  }
  const float* src = y + row * (long)(numHeads + 2 * numKvHeads) * headDim + (long)head * headDim;
  float* x = heads[warp];
  float ss = 0.f;
  for (int d = lane; d < headDim; d += 32) {
    float value = bias ? src[d] + bias[h * headDim + d] : src[d];
    x[d] = value;
    ss += value * value;
  }
  if (norm) {
    for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
    float inv = rsqrtf(ss / headDim + eps);
    for (int d = lane; d < headDim; d += 32) x[d] = x[d] * inv * (addOne ? 1.f + norm[d] : norm[d]);
  }
  __syncwarp();
  if (head >= numHeads + numKvHeads) {  // a value head: not rotated
    bf16* out = vPool + cacheRow + (long)h * headDim;
    for (int d = lane; d < headDim; d += 32) out[d] = __float2bfloat16_rn(x[d]);
    return;
  }
  const int half = headDim / 2;
  const float pos = (float)positions[row];
  for (int i = lane; i < half; i += 32) {
    float angle = pos * invFreq[i];
    float c = cosf(angle), s = sinf(angle);
    float x1 = x[i], x2 = x[i + half];
    float r1 = x1 * c - x2 * s, r2 = x2 * c + x1 * s;
    if (head < numHeads) {
      float* out = q + (row * numHeads + h) * headDim;
      out[i] = r1;
      out[i + half] = r2;
    } else {
      bf16* out = kPool + cacheRow + (long)h * headDim;
      out[i] = __float2bfloat16_rn(r1);
      out[i + half] = __float2bfloat16_rn(r2);
    }
  }
}

extern "C" __global__ void add_in_place(float* __restrict__ acc, const float* __restrict__ x, long n) {
  FOR_EACH(i, n) acc[i] += x[i];
}

// y[r, c] += bias[c].
extern "C" __global__ void add_bias(float* __restrict__ y, const float* __restrict__ bias, long n, int cols) {
  FOR_EACH(i, n) y[i] += bias[i % cols];
}

extern "C" __global__ void softcap(float* __restrict__ x, float cap, long n) {
  FOR_EACH(i, n) x[i] = cap * tanhf(x[i] / cap);
}

// Writes each new token's keys and values (fp32 rows) into its cache slot (bf16). Grid: one block per row.
extern "C" __global__ void kv_store(const float* __restrict__ k, const float* __restrict__ v,
                                    const int* __restrict__ slots, bf16* __restrict__ kPool, bf16* __restrict__ vPool,
                                    int kvDim) {
  long src = (long)blockIdx.x * kvDim;
  long dst = (long)slots[blockIdx.x] * kvDim;
  for (int j = threadIdx.x; j < kvDim; j += blockDim.x) {
    kPool[dst + j] = __float2bfloat16_rn(k[src + j]);
    vPool[dst + j] = __float2bfloat16_rn(v[src + j]);
  }
}

#define ATTN_WARPS 4
#define ATTN_MAX_PER_LANE 8  // head dimension up to 256

// The keys a warp scores at once in attend_keys_eight_at_a_time, ATTN_LANES_PER_KEY lanes each.
#define ATTN_LANES_PER_KEY 4
#define ATTN_KEYS_PER_WARP (32 / ATTN_LANES_PER_KEY)

// One warp's online softmax over every ATTN_WARPS-th key of [first, last], one key at a time: each lane holds dims
// lane, lane + 32, ... of q and of the accumulated output. The path for head dimensions that
// attend_keys_eight_at_a_time does not take, and for all with -Dnla.cuda.eightKeyAttention=false.
__device__ void attend_keys_one_by_one(const float* __restrict__ qRow, const bf16* __restrict__ kPool,
                                       const bf16* __restrict__ vPool, const int* __restrict__ table, int blockSize,
                                       int kvDim, int kvHead, int headDim, float scale, float softcapValue, int first,
                                       int last, float* m, float* l, float* warpAcc) {
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float qv[ATTN_MAX_PER_LANE], acc[ATTN_MAX_PER_LANE];
#pragma unroll
  for (int i = 0; i < ATTN_MAX_PER_LANE; i++) {
    int d = lane + 32 * i;
    qv[i] = d < headDim ? qRow[d] : 0.f;
    acc[i] = 0.f;
  }
  float mRun = NEG_INF, lRun = 0.f;
  for (int j = first + warp; j <= last; j += ATTN_WARPS) {
    long slot = (long)table[j / blockSize] * blockSize + j % blockSize;
    const bf16* kRow = kPool + slot * kvDim + (long)kvHead * headDim;
    const bf16* vRow = vPool + slot * kvDim + (long)kvHead * headDim;
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < ATTN_MAX_PER_LANE; i++) {
      int d = lane + 32 * i;
      if (d < headDim) s += qv[i] * __bfloat162float(kRow[d]);
    }
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    s *= scale;
    if (softcapValue > 0.f) s = softcapValue * tanhf(s / softcapValue);
    float mNew = fmaxf(mRun, s);
    float correction = expf(mRun - mNew);
    float p = expf(s - mNew);
    lRun = lRun * correction + p;
#pragma unroll
    for (int i = 0; i < ATTN_MAX_PER_LANE; i++) {
      int d = lane + 32 * i;
      float vd = d < headDim ? __bfloat162float(vRow[d]) : 0.f;
      acc[i] = acc[i] * correction + p * vd;
    }
    mRun = mNew;
  }
  *m = mRun;
  *l = lRun;
#pragma unroll
  for (int i = 0; i < ATTN_MAX_PER_LANE; i++) {
    int d = lane + 32 * i;
    if (d < headDim) warpAcc[d] = acc[i];
  }
}

// A word of 2N bytes holding N bf16, as floats.
template <typename Word, int N>
__device__ void unpack_bf16(Word raw, float* out) {
  const __nv_bfloat162* pairs = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
  for (int i = 0; i < N / 2; i++) {
    float2 f = __bfloat1622float2(pairs[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}

// N consecutive bf16 (N = 1, 2, 4 or 8; 2N-byte aligned) as floats, in one load.
template <int N>
__device__ void load_bf16(const bf16* __restrict__ p, float* out) {
  if constexpr (N == 1) {
    out[0] = __bfloat162float(*p);
  } else if constexpr (N == 2) {
    unpack_bf16<unsigned, 2>(*reinterpret_cast<const unsigned*>(p), out);
  } else if constexpr (N == 4) {
    unpack_bf16<uint2, 4>(*reinterpret_cast<const uint2*>(p), out);
  } else {
    unpack_bf16<uint4, 8>(*reinterpret_cast<const uint4*>(p), out);
  }
}

// The warp's online softmax as attend_keys_one_by_one computes it, for a head dimension of 32 * CH, scoring
// ATTN_KEYS_PER_WARP keys at once, for the G query heads that share key-value head kvHead (G = 1: one head): each
// key's ATTN_LANES_PER_KEY lanes read it in 16-byte pieces, and every lane then reads CH values of each of those keys;
// each key and value read serves all G heads. Why eight keys: one key at a time, a warp waits on each key's loads in
// turn (the block table, then the key, then the value), and a step of many sequences is thousands of such blocks of
// a few hundred keys each; here a warp has eight keys' loads in flight. Why G heads: one head at a time, a step of many
// sequences reads each sequence's keys once per query head (measured on the H100: 5% more tokens/s on the 7B shape at
// batch 256, under 1% at 128, where the loads' latency bounds the attention more than their bytes).
// Lane L scores key (L / 4) of each group of eight with dims [8c, 8c + 8) for c = L % 4, L % 4 + 4, ...; it
// accumulates output dims [CH * L, CH * L + CH). qShared[g * headDim + d] is head g's query in shared memory (16-byte
// aligned): read from there, it costs no registers, which the block's occupancy needs. On return m[g] and l[g] are
// head g's largest score and sum of exp(score - max) over this warp's keys, warpAcc[g * headDim + d] its unnormalised
// output; the arithmetic of each head is the same whatever G is.
template <int CH, int G>
__device__ void attend_keys_eight_at_a_time(const float* __restrict__ qShared, const bf16* __restrict__ kPool,
                                            const bf16* __restrict__ vPool, const int* __restrict__ table,
                                            int blockSize, int kvDim, int kvHead, float scale, float softcapValue,
                                            int first, int last, float* m, float* l, float* warpAcc) {
  constexpr int headDim = 32 * CH;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int key = lane / ATTN_LANES_PER_KEY, part = lane % ATTN_LANES_PER_KEY;
  float acc[G][CH];
  float mRun[G], lRun[G];
#pragma unroll
  for (int g = 0; g < G; g++) {
    mRun[g] = NEG_INF;
    lRun[g] = 0.f;
#pragma unroll
    for (int c = 0; c < CH; c++) acc[g][c] = 0.f;
  }
  const long headOffset = (long)kvHead * headDim;
  for (int base = first + warp * ATTN_KEYS_PER_WARP; base <= last; base += ATTN_WARPS * ATTN_KEYS_PER_WARP) {
    // Past the range's end a lane reads its last key (real memory) and scores -inf.
    const bool valid = base + key <= last;
    const int j = min(base + key, last);
    const long slot = (long)table[j / blockSize] * blockSize + j % blockSize;
    const uint4* kRow = reinterpret_cast<const uint4*>(kPool + slot * kvDim + headOffset);
    float s[G];
#pragma unroll
    for (int g = 0; g < G; g++) s[g] = 0.f;
#pragma unroll
    for (int c = 0; c < CH; c++) {
      float k[8];
      load_bf16<8>(reinterpret_cast<const bf16*>(kRow + part + ATTN_LANES_PER_KEY * c), k);
#pragma unroll
      for (int g = 0; g < G; g++) {
        const float4* q = reinterpret_cast<const float4*>(qShared + g * headDim + 8 * (part + ATTN_LANES_PER_KEY * c));
        const float4 q0 = q[0], q1 = q[1];
        s[g] += q0.x * k[0] + q0.y * k[1] + q0.z * k[2] + q0.w * k[3] + q1.x * k[4] + q1.y * k[5] + q1.z * k[6] +
                q1.w * k[7];
      }
    }
    float p[G];
#pragma unroll
    for (int g = 0; g < G; g++) {
      float sg = s[g];
      sg += __shfl_xor_sync(0xffffffffu, sg, 1);
      sg += __shfl_xor_sync(0xffffffffu, sg, 2);
      sg *= scale;
      if (softcapValue > 0.f) sg = softcapValue * tanhf(sg / softcapValue);
      if (!valid) sg = NEG_INF;
      // The eight keys' largest score and their sum of exp(score - max), over the keys (lanes 4 apart).
      float chunkMax = sg;
      for (int o = ATTN_LANES_PER_KEY; o < 32; o <<= 1)
        chunkMax = fmaxf(chunkMax, __shfl_xor_sync(0xffffffffu, chunkMax, o));
      const float mNew = fmaxf(mRun[g], chunkMax);  // finite: the first key of the eight is in the range
      const float correction = expf(mRun[g] - mNew);
      p[g] = valid ? expf(sg - mNew) : 0.f;
      float pSum = p[g];
      for (int o = ATTN_LANES_PER_KEY; o < 32; o <<= 1) pSum += __shfl_xor_sync(0xffffffffu, pSum, o);
      lRun[g] = lRun[g] * correction + pSum;
#pragma unroll
      for (int c = 0; c < CH; c++) acc[g][c] *= correction;
      mRun[g] = mNew;
    }
#pragma unroll
    for (int e = 0; e < ATTN_KEYS_PER_WARP; e++) {
      const long slotE = __shfl_sync(0xffffffffu, slot, e * ATTN_LANES_PER_KEY);
      float v[CH];
      load_bf16<CH>(vPool + slotE * kvDim + headOffset + CH * lane, v);
#pragma unroll
      for (int g = 0; g < G; g++) {
        const float pe = __shfl_sync(0xffffffffu, p[g], e * ATTN_LANES_PER_KEY);
#pragma unroll
        for (int c = 0; c < CH; c++) acc[g][c] += pe * v[c];
      }
    }
  }
#pragma unroll
  for (int g = 0; g < G; g++) {
    m[g] = mRun[g];
    l[g] = lRun[g];
#pragma unroll
    for (int c = 0; c < CH; c++) warpAcc[g * headDim + CH * lane + c] = acc[g][c];
  }
}

// The cases of a switch over the head dimension that attend_keys_eight_at_a_time has instances for (32 * CH), each
// calling it for G heads with the caller's qShared, kPool, vPool, table, blockSize, kvHead, scale, softcapValue,
// first, warp and warpAcc.
#define ATTEND_EIGHT_KEYS_CASE(CH, G, KV_DIM, LAST, M, L)                                                              \
  case 32 * CH:                                                                                                        \
    attend_keys_eight_at_a_time<CH, G>(qShared, kPool, vPool, table, blockSize, KV_DIM, kvHead, scale, softcapValue,   \
                                       first, LAST, M, L, warpAcc[warp]);                                              \
    break;
#define ATTEND_EIGHT_KEYS_CASES(G, KV_DIM, LAST, M, L)                                                                 \
  ATTEND_EIGHT_KEYS_CASE(1, G, KV_DIM, LAST, M, L)                                                                     \
  ATTEND_EIGHT_KEYS_CASE(2, G, KV_DIM, LAST, M, L)                                                                     \
  ATTEND_EIGHT_KEYS_CASE(4, G, KV_DIM, LAST, M, L)                                                                     \
  ATTEND_EIGHT_KEYS_CASE(8, G, KV_DIM, LAST, M, L)

// The block's ATTN_WARPS warps' partial softmaxes of one head, merged: warp w's largest score is warpMax[w * stride],
// its sum warpSum[w * stride] and its output warpAcc[w * accStride + d]. A warp that saw no key has max -inf.
__device__ float merged_max(const float* warpMax, int stride) {
  float total = NEG_INF;
  for (int w = 0; w < ATTN_WARPS; w++) total = fmaxf(total, warpMax[w * stride]);
  return total;
}

__device__ float merged_sum(const float* warpMax, const float* warpSum, int stride, float total) {
  float denom = 0.f;
  for (int w = 0; w < ATTN_WARPS; w++) {
    float mw = warpMax[w * stride];
    denom += warpSum[w * stride] * (mw == NEG_INF ? 0.f : expf(mw - total));
  }
  return denom;
}

__device__ float merged_acc(const float* warpMax, int stride, const float* warpAcc, int accStride, float total) {
  float sum = 0.f;
  for (int w = 0; w < ATTN_WARPS; w++) {
    float mw = warpMax[w * stride];
    if (mw != NEG_INF) sum += warpAcc[w * accStride] * expf(mw - total);
  }
  return sum;
}

// One query head over keys [first, last] of its sequence's paged cache. Every thread of the block calls it; on return
// its *mOut is the largest score, its *lOut the sum of exp(score - max) (each thread's own registers: every thread
// computes both, so no thread writes shared memory that another may still be reading), and accOut[d] (shared) the
// sum of exp(score - max) * v[d]: an unnormalised partial softmax, so ranges attended apart can be merged exactly.
// The block's ATTN_WARPS warps each take their share of the keys with an online softmax (fp32), merged at the end:
// eight keys at a time where eightKeys is set and the head dimension allows, else one at a time.
// table[b] is the physical block holding positions [b * blockSize, (b + 1) * blockSize).
__device__ void attend_range(const float* __restrict__ qRow, const bf16* __restrict__ kPool,
                             const bf16* __restrict__ vPool, const int* __restrict__ table, int blockSize, int kvDim,
                             int kvHead, int headDim, float scale, float softcapValue, int eightKeys, int first,
                             int last, float* mOut, float* lOut, float* accOut) {
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __shared__ float warpMax[ATTN_WARPS], warpSum[ATTN_WARPS];
  __shared__ float warpAcc[ATTN_WARPS][32 * ATTN_MAX_PER_LANE];
  __shared__ __align__(16) float qShared[32 * ATTN_MAX_PER_LANE];
  if (eightKeys) {
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) qShared[d] = qRow[d];
  }
  __syncthreads();
  float m, l;
  switch (eightKeys ? headDim : 0) {
    ATTEND_EIGHT_KEYS_CASES(1, kvDim, last, &m, &l)
    default:
      attend_keys_one_by_one(qRow, kPool, vPool, table, blockSize, kvDim, kvHead, headDim, scale, softcapValue, first,
                             last, &m, &l, warpAcc[warp]);
  }
  if (lane == 0) {
    warpMax[warp] = m;
    warpSum[warp] = l;
  }
  __syncthreads();
  float total = merged_max(warpMax, 1);
  float denom = merged_sum(warpMax, warpSum, 1, total);
  for (int d = threadIdx.x; d < headDim; d += blockDim.x)
    accOut[d] = merged_acc(warpMax, 1, &warpAcc[0][d], 32 * ATTN_MAX_PER_LANE, total);
  *mOut = total;
  *lOut = denom;
  __syncthreads();
}

// Causal attention of each new query row over its sequence's paged cache (which already holds the row's own key):
// keys at positions [pos - window + 1, pos] when window > 0, else [0, pos]. Grid: (rows, heads); block: ATTN_WARPS
// warps. blockTables[seq * maxBlocks + b] is the physical block of the sequence's positions block b.
extern "C" __global__ void attention(const float* __restrict__ q, const bf16* __restrict__ kPool,
                                     const bf16* __restrict__ vPool, const int* __restrict__ rowSeq,
                                     const int* __restrict__ rowPos, const int* __restrict__ blockTables,
                                     int maxBlocks, int blockSize, int numHeads, int numKvHeads, int headDim,
                                     float scale, int window, float softcapValue, int eightKeys,
                                     float* __restrict__ out, bf16* __restrict__ outb) {
  int row = blockIdx.x, head = blockIdx.y;
  int pos = rowPos[row];
  int first = window > 0 ? max(0, pos - window + 1) : 0;
  __shared__ float acc[32 * ATTN_MAX_PER_LANE];
  float m, l;
  attend_range(q + ((long)row * numHeads + head) * headDim, kPool, vPool, blockTables + (long)rowSeq[row] * maxBlocks,
               blockSize, numKvHeads * headDim, head / (numHeads / numKvHeads), headDim, scale, softcapValue, eightKeys,
               first, pos, &m, &l, acc);
  long o = ((long)row * numHeads + head) * headDim;
  for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
    float v = acc[d] / l;
    out[o + d] = v;
    if (outb) outb[o + d] = __float2bfloat16_rn(v);
  }
}

// `attention` with the G query heads that share a key-value head in one block (grouped-query attention): the same
// result, each key and value read once for the G heads instead of once per head. For steps whose rows fill the GPU
// (prefill, decoding many sequences) and head dimensions of 32, 64, 128 or 256 (the launcher's choice); one kernel per
// G the released models have (2: Gemma 3; 7: Qwen2.5-7B; 8: Llama 3.3 70B) and 4. Grid: (rows, numKvHeads); block:
// ATTN_WARPS warps.
template <int G>
__device__ void attention_grouped(const float* __restrict__ q, const bf16* __restrict__ kPool,
                                  const bf16* __restrict__ vPool, const int* __restrict__ rowSeq,
                                  const int* __restrict__ rowPos, const int* __restrict__ blockTables, int maxBlocks,
                                  int blockSize, int numHeads, int numKvHeads, int headDim, float scale, int window,
                                  float softcapValue, float* __restrict__ out, bf16* __restrict__ outb) {
  constexpr int maxDim = 32 * ATTN_MAX_PER_LANE;
  __shared__ __align__(16) float qShared[G * maxDim];
  __shared__ float warpAcc[ATTN_WARPS][G * maxDim];
  __shared__ float warpMax[ATTN_WARPS][G], warpSum[ATTN_WARPS][G];
  const int row = blockIdx.x, kvHead = blockIdx.y, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int pos = rowPos[row];
  const int first = window > 0 ? max(0, pos - window + 1) : 0;
  // Query heads kvHead * G ... kvHead * G + G - 1 share the key-value head (transformers' repeat_kv), and lie together.
  const float* qHeads = q + ((long)row * numHeads + (long)kvHead * G) * headDim;
  for (int i = threadIdx.x; i < G * headDim; i += blockDim.x) qShared[i] = qHeads[i];
  __syncthreads();
  const int* table = blockTables + (long)rowSeq[row] * maxBlocks;
  float m[G], l[G];
  switch (headDim) {
    ATTEND_EIGHT_KEYS_CASES(G, numKvHeads * headDim, pos, m, l)
    default:
      __trap();  // the launcher passes only the head dimensions above
  }
  if (lane == 0) {
#pragma unroll
    for (int g = 0; g < G; g++) {
      warpMax[warp][g] = m[g];
      warpSum[warp][g] = l[g];
    }
  }
  __syncthreads();
  for (int g = 0; g < G; g++) {
    const float total = merged_max(&warpMax[0][g], G);
    const float denom = merged_sum(&warpMax[0][g], &warpSum[0][g], G, total);
    const long o = ((long)row * numHeads + (long)kvHead * G + g) * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
      float v = merged_acc(&warpMax[0][g], G, &warpAcc[0][g * headDim + d], G * maxDim, total) / denom;
      out[o + d] = v;
      if (outb) outb[o + d] = __float2bfloat16_rn(v);
    }
  }
}

#define ATTENTION_GROUPED(G)                                                                                           \
  extern "C" __global__ void attention_grouped##G(                                                                     \
      const float* __restrict__ q, const bf16* __restrict__ kPool, const bf16* __restrict__ vPool,                     \
      const int* __restrict__ rowSeq, const int* __restrict__ rowPos, const int* __restrict__ blockTables,             \
      int maxBlocks, int blockSize, int numHeads, int numKvHeads, int headDim, float scale, int window,                 \
      float softcapValue, float* __restrict__ out, bf16* __restrict__ outb) {                                          \
    attention_grouped<G>(q, kPool, vPool, rowSeq, rowPos, blockTables, maxBlocks, blockSize, numHeads, numKvHeads,     \
                         headDim, scale, window, softcapValue, out, outb);                                             \
  }
ATTENTION_GROUPED(2)
ATTENTION_GROUPED(4)
ATTENTION_GROUPED(7)
ATTENTION_GROUPED(8)
#undef ATTENTION_GROUPED

// The same attention with each (row, head)'s keys cut into `splits` equal ranges, one block each, for steps with too
// few rows to fill the GPU (decoding): each block writes its range's partial softmax (max, sum, unnormalised output)
// to partMax/partSum[(row * numHeads + head) * splits + split] and partAcc[that * headDim + d]; attention_merge
// combines them. Grid: (rows, heads * splits); an empty range writes max = -inf.
extern "C" __global__ void attention_split(const float* __restrict__ q, const bf16* __restrict__ kPool,
                                           const bf16* __restrict__ vPool, const int* __restrict__ rowSeq,
                                           const int* __restrict__ rowPos, const int* __restrict__ blockTables,
                                           int maxBlocks, int blockSize, int numHeads, int numKvHeads, int headDim,
                                           float scale, int window, float softcapValue, int eightKeys, int splits,
                                           float* __restrict__ partMax, float* __restrict__ partSum,
                                           float* __restrict__ partAcc) {
  int row = blockIdx.x, head = blockIdx.y / splits, split = blockIdx.y % splits;
  int pos = rowPos[row];
  int first = window > 0 ? max(0, pos - window + 1) : 0;
  int per = (pos - first + splits) / splits;  // ceil((pos - first + 1) / splits)
  int lo = first + split * per, hi = min(pos, lo + per - 1);
  long part = ((long)row * numHeads + head) * splits + split;
  __shared__ float acc[32 * ATTN_MAX_PER_LANE];
  float m, l;
  attend_range(q + ((long)row * numHeads + head) * headDim, kPool, vPool, blockTables + (long)rowSeq[row] * maxBlocks,
               blockSize, numKvHeads * headDim, head / (numHeads / numKvHeads), headDim, scale, softcapValue, eightKeys,
               lo, hi, &m, &l, acc);
  for (int d = threadIdx.x; d < headDim; d += blockDim.x) partAcc[part * headDim + d] = acc[d];
  if (threadIdx.x == 0) {
    partMax[part] = m;
    partSum[part] = l;
  }
}

// out = the merged softmax of attention_split's partials. Grid: (rows, heads); threads over headDim.
extern "C" __global__ void attention_merge(const float* __restrict__ partMax, const float* __restrict__ partSum,
                                           const float* __restrict__ partAcc, int numHeads, int headDim, int splits,
                                           float* __restrict__ out, bf16* __restrict__ outb) {
  long base = ((long)blockIdx.x * numHeads + blockIdx.y) * splits;
  float total = NEG_INF;
  for (int s = 0; s < splits; s++) total = fmaxf(total, partMax[base + s]);
  float denom = 0.f;
  for (int s = 0; s < splits; s++) {
    float ms = partMax[base + s];
    if (ms != NEG_INF) denom += partSum[base + s] * expf(ms - total);
  }
  long o = ((long)blockIdx.x * numHeads + blockIdx.y) * headDim;
  for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
    float sum = 0.f;
    for (int s = 0; s < splits; s++) {
      float ms = partMax[base + s];
      if (ms != NEG_INF) sum += partAcc[(base + s) * headDim + d] * expf(ms - total);
    }
    float v = sum / denom;
    out[o + d] = v;
    if (outb) outb[o + d] = __float2bfloat16_rn(v);
  }
}

// logits[rows[e], ids[e]] += values[e] for each of `count` bias entries (a row's ids are distinct).
extern "C" __global__ void add_logit_bias(float* __restrict__ logits, const int* __restrict__ rows,
                                          const int* __restrict__ ids, const float* __restrict__ values, int count,
                                          int vocab) {
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < count; e += gridDim.x * blockDim.x)
    logits[(long)rows[e] * vocab + ids[e]] += values[e];
}

#define ARGMAX_THREADS 1024

// out[r] = the first index of the maximum of row r (torch.argmax; NaN never wins). Grid: one block of
// ARGMAX_THREADS per row.
extern "C" __global__ void argmax_rows(const float* __restrict__ logits, int vocab, int* __restrict__ out) {
  __shared__ float bestValue[ARGMAX_THREADS];
  __shared__ int bestIndex[ARGMAX_THREADS];
  const float* row = logits + (long)blockIdx.x * vocab;
  float best = NEG_INF;
  int index = vocab;  // none yet
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
    float v = row[j];
    if (v > best || (v == best && j < index)) {
      best = v;
      index = j;
    }
  }
  bestValue[threadIdx.x] = best;
  bestIndex[threadIdx.x] = index;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      float v = bestValue[threadIdx.x + stride];
      int j = bestIndex[threadIdx.x + stride];
      if (v > bestValue[threadIdx.x] || (v == bestValue[threadIdx.x] && j < bestIndex[threadIdx.x])) {
        bestValue[threadIdx.x] = v;
        bestIndex[threadIdx.x] = j;
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = bestIndex[0] < vocab ? bestIndex[0] : 0;
}

// ---- sampling: temperature -> top-k -> top-p -> a draw, the same token as nla.backend.Sampler.sample ----
//
// One block per sampled row (rows beyond the grid are taken in turn by the same blocks). Every reduction is a
// fixed-shape tree or scan in shared memory, never a floating atomic: the same inputs give the same token run to
// run. The host sums in another order, so its double sums may differ in the last bits; that flips a choice only
// when u or topP lies within ~1e-12 of a boundary.

#define SAMPLE_THREADS 1024  // the most threads sample_rows is launched with (its shared arrays' size)
#define NO_TOKEN 0x7fffffff

struct SumOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return a + b; }
};
struct MinOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return b < a ? b : a; }
};
struct MaxOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return b > a ? b : a; }
};

// op over the block's values, every thread gets the result: a tree over shared memory (of blockDim.x values),
// whose shape depends on blockDim.x only, so a floating sum comes out the same on every run. Any blockDim.x.
template <typename T, typename Op>
__device__ T block_reduce(T v, T* shared, Op op) {
  int t = threadIdx.x, n = blockDim.x;
  __syncthreads();  // shared may still be read by a previous call
  shared[t] = v;
  __syncthreads();
  int half = 1;
  while (half < n) half <<= 1;
  for (half >>= 1; half > 0; half >>= 1) {
    if (t < half && t + half < n) shared[t] = op(shared[t], shared[t + half]);
    __syncthreads();
  }
  return shared[0];
}

// The sum of the values of the threads before this one (0 for thread 0), and into *total the sum of all: a
// Hillis-Steele scan over shared memory, the same shape on every run.
template <typename T>
__device__ T block_exclusive_scan(T v, T* shared, T* total) {
  int t = threadIdx.x, n = blockDim.x;
  __syncthreads();
  shared[t] = v;
  __syncthreads();
  for (int offset = 1; offset < n; offset <<= 1) {
    T add = t >= offset ? shared[t - offset] : (T)0;
    __syncthreads();
    shared[t] += add;
    __syncthreads();
  }
  *total = shared[n - 1];
  return t > 0 ? shared[t - 1] : (T)0;
}

// Unsigned keys in the order of the floats (-0 before +0, as Java's Arrays.sort puts them): negative floats have
// every bit flipped, the others their sign bit set.
__device__ unsigned int float_order_key(float f) {
  unsigned int b = __float_as_uint(f);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ float float_of_order_key(unsigned int k) {
  return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

// The score the host computes: the logit widened to double, divided, rounded back to float.
__device__ float sample_score(float logit, double temperature) { return (float)((double)logit / temperature); }

// The k-th largest score of the row (duplicates counted, as sorted[v - k] on the host), 0 < k < vocab. A radix
// select over the float order keys, a byte at a time from the top: a 256-bin histogram in shared memory of the
// keys that share the bytes chosen so far, then the bin holding the k-th largest. Four passes over the row instead
// of a sort of up to 262,208 values; integer atomics in shared memory give exact counts, whatever their order.
__device__ float kth_largest_score(const float* __restrict__ x, int vocab, double temperature, int k,
                                   unsigned int* histogram, unsigned int* chosen) {
  unsigned int prefix = 0, prefixMask = 0, remaining = (unsigned int)k;
  for (int shift = 24; shift >= 0; shift -= 8) {
    __syncthreads();  // the previous pass's histogram and choice have been read
    for (int b = threadIdx.x; b < 256; b += blockDim.x) histogram[b] = 0;
    __syncthreads();
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
      unsigned int key = float_order_key(sample_score(x[i], temperature));
      if ((key & prefixMask) == prefix) atomicAdd(&histogram[(key >> shift) & 255u], 1u);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      // From the largest bin down; the bins hold every key with the prefix, at least `remaining` of them.
      unsigned int b = 255;
      while (histogram[b] < remaining) remaining -= histogram[b--];
      chosen[0] = b;
      chosen[1] = remaining;
    }
    __syncthreads();
    prefix |= chosen[0] << shift;
    prefixMask |= 255u << shift;
    remaining = chosen[1];
  }
  return float_of_order_key(prefix);
}

// The row's probability of token i before top-p (0 where top-k dropped it or its score is -inf): the host's
// softmax, exp of the float difference taken in double, over a double denominator.
__device__ double sample_probability(float score, float kth, float maxScore, double denominator) {
  if (!(score >= kth) || score == NEG_INF) return 0.0;
  return exp((double)(score - maxScore)) / denominator;
}

// Top-p's rank order: the host's key (float bits of the probability, then the index) with the index in the
// low indexBits bits instead of 32, the same order in fewer bits, so the bisection over it takes fewer passes.
__device__ unsigned long long sample_key(double p, int index, int indexBits) {
  return ((unsigned long long)__float_as_uint((float)p) << indexBits) | (unsigned int)index;
}

// For each sampled row j < count: params[5j ..] = {row, temperature > 0, topP, topK, u in [0, 1)}; the token goes
// to out[row]. Scratch: probs and ids of vocab values per block. Grid: at most one block per sampled row; any
// blockDim.x up to SAMPLE_THREADS.
//
// 1. Scores s_i = (float)(logit_i / temperature) in double, as the host casts, and their maximum.
// 2. Top-k (0 < k < vocab) keeps every score >= the k-th largest (ties kept, as transformers): the k-th largest
//    by a radix select (kth_largest_score), four histogram passes rather than a sort.
// 3. p_i = exp(s_i - max) / sum over the kept tokens, in double as the host.
// 4. The candidates, compacted into probs/ids in index order (a contiguous chunk per thread, placed by a block
//    scan of the chunks' counts): tokens with p_i > 0, and with top-p only those with p_i > (1 - topP) / vocab,
//    the host's floor (a token at or under it has at least topP of the mass above it, so it can never be kept).
//    Peaked rows leave few candidates, which the passes below then walk instead of the whole vocabulary.
// 5. Top-p (topP < 1) keeps the first m candidates by key descending, m the smallest count whose mass reaches
//    topP, the top token always: exactly the candidates whose key is >= T, T the least key whose mass strictly
//    above is < topP (capped at the top key). That mass falls as the key grows, so T is found by bisection over
//    the key between the candidates' least and greatest keys (at most 30 + 19 passes), each pass one
//    deterministic block sum: no sort of the candidates and no floating atomics.
// 6. The draw: the first kept candidate in index order whose cumulative probability (renormalised over the kept
//    ones when top-p cut) exceeds u, else the last kept one. Each thread sums its contiguous chunk, a block scan
//    gives each chunk the mass before it, so every cumulative sum runs in index order as the host's does.
extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS)
    sample_rows(const float* __restrict__ logits, int vocab, const double* __restrict__ params, int count,
                double* __restrict__ probScratch, int* __restrict__ idScratch, int* __restrict__ out) {
  __shared__ unsigned long long reduceSpace[SAMPLE_THREADS];  // 8 bytes a thread, for every reduction's type
  __shared__ unsigned int histogram[256];
  __shared__ unsigned int chosen[2];
  double* sums = (double*)reduceSpace;
  float* floats = (float*)reduceSpace;
  int* ints = (int*)reduceSpace;
  unsigned long long* keys = reduceSpace;
  double* probs = probScratch + (long)blockIdx.x * vocab;
  int* ids = idScratch + (long)blockIdx.x * vocab;
  int t = threadIdx.x, threads = blockDim.x;
  int indexBits = 32 - __clz(vocab > 1 ? vocab - 1 : 1);

  for (int j = blockIdx.x; j < count; j += gridDim.x) {
    const double* p = params + 5L * j;
    int row = (int)p[0];
    double temperature = p[1], topP = p[2], u = p[4];
    int topK = (int)p[3];
    const float* x = logits + (long)row * vocab;

    // 1.
    float localMax = NEG_INF;
    for (int i = t; i < vocab; i += threads) localMax = fmaxf(localMax, sample_score(x[i], temperature));
    float maxScore = block_reduce(localMax, floats, MaxOp());

    // 2. (with no top-k every score is >= -inf; -inf scores get probability 0 as on the host)
    float kth = NEG_INF;
    if (topK > 0 && topK < vocab) kth = kth_largest_score(x, vocab, temperature, topK, histogram, chosen);

    // 3.
    double partial = 0;
    for (int i = t; i < vocab; i += threads) {
      float s = sample_score(x[i], temperature);
      if (s >= kth && s != NEG_INF) partial += exp((double)(s - maxScore));
    }
    double denominator = block_reduce(partial, sums, SumOp());

    // 4.
    double floorP = topP < 1 ? (1 - topP) / vocab : 0.0;
    int per = (vocab + threads - 1) / threads;
    int first = min(vocab, t * per), end = min(vocab, first + per);
    int mine = 0;
    for (int i = first; i < end; i++) {
      if (sample_probability(sample_score(x[i], temperature), kth, maxScore, denominator) > floorP) mine++;
    }
    int candidates;
    int at = block_exclusive_scan(mine, ints, &candidates);
    for (int i = first; i < end; i++) {
      double pi = sample_probability(sample_score(x[i], temperature), kth, maxScore, denominator);
      if (pi > floorP) {
        probs[at] = pi;
        ids[at] = i;
        at++;
      }
    }
    __syncthreads();  // every candidate is written before any thread reads them

    // 5. (T = 0 keeps every candidate)
    bool cut = topP < 1;
    unsigned long long threshold = 0;
    if (cut) {
      unsigned long long least = ~0ull, greatest = 0;
      for (int c = t; c < candidates; c += threads) {
        unsigned long long key = sample_key(probs[c], ids[c], indexBits);
        least = MinOp()(least, key);
        greatest = MaxOp()(greatest, key);
      }
      unsigned long long lo = block_reduce(least, keys, MinOp());
      unsigned long long hi = block_reduce(greatest, keys, MaxOp());
      while (lo < hi) {  // every thread holds the same lo, hi and mass: the loop is uniform
        unsigned long long mid = lo + (hi - lo) / 2;
        double above = 0;
        for (int c = t; c < candidates; c += threads) {
          if (sample_key(probs[c], ids[c], indexBits) > mid) above += probs[c];
        }
        if (block_reduce(above, sums, SumOp()) < topP) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      threshold = lo;
    }
    double keptMass = 1;  // without a cut the host draws from the probabilities as they are
    if (cut) {
      double mass = 0;
      for (int c = t; c < candidates; c += threads) {
        if (sample_key(probs[c], ids[c], indexBits) >= threshold) mass += probs[c];
      }
      keptMass = block_reduce(mass, sums, SumOp());
    }

    // 6.
    per = (candidates + threads - 1) / threads;
    first = min(candidates, t * per);
    end = min(candidates, first + per);
    double chunk = 0;
    for (int c = first; c < end; c++) {
      if (!cut || sample_key(probs[c], ids[c], indexBits) >= threshold) chunk += probs[c] / keptMass;
    }
    double total;
    double cumulative = block_exclusive_scan(chunk, sums, &total);
    int found = NO_TOKEN, lastKept = -1;
    for (int c = first; c < end; c++) {
      if (cut && sample_key(probs[c], ids[c], indexBits) < threshold) continue;
      cumulative += probs[c] / keptMass;
      lastKept = ids[c];
      if (u < cumulative) {
        found = ids[c];
        break;
      }
    }
    found = block_reduce(found, ints, MinOp());
    // With no candidate (top-p <= 0 over a flat row) the host's draw is NaN throughout and it returns the last index.
    if (found == NO_TOKEN) found = block_reduce(lastKept, ints, MaxOp());
    if (t == 0) out[row] = found >= 0 ? found : vocab - 1;
  }
}
