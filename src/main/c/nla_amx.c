// bf16 matrix products on Intel AMX tiles, for the CPU backend's opt-in bf16-activation mode.
//
// The Java Vector API has no bf16 dot-product instruction: its fp32 path widens every bf16 weight
// with integer ops that compete with the FMAs, and that caps a many-token product at well under
// the FMA peak. AMX multiplies 16x32 bf16 tiles in one instruction. The activations are rounded to
// bf16 (round to nearest even, as torch does), the products accumulate in fp32 in the tile.
//
// Layout: y = x·wᵀ with w a row-major [rows, k] bf16 matrix (straight from the memory map) used as
// the tiles' A operand (16 weight rows × 32 k, stride 2k bytes) and x packed by nla_amx_pack into
// B tiles (16 k-pairs × 16 tokens × 2, the VNNI layout). A C tile is then 16 weight rows × 16
// tokens. Every output element is one fixed sequence of tile products over k, whatever else is in
// the batch, so a token's result does not depend on the batch it is in.

#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

typedef struct {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tile_config;

// Asks Linux for the tile state (once per process); 0 when the tiles may be used.
int nla_amx_enable(void) {
  if (!__builtin_cpu_supports("amx-bf16")) return -1;
  return (int) syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA);
}

static void configure(void) {
  tile_config c;
  memset(&c, 0, sizeof c);
  c.palette = 1;
  for (int i = 0; i < 8; i++) {
    c.colsb[i] = 64;
    c.rows[i] = 16;
  }
  _tile_loadconfig(&c);
}

static inline uint16_t to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);
  return (uint16_t) ((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// x [n, k] fp32 row-major -> B tiles: tile (token block tb, k block kb) is tile number
// tb·(k/32) + kb, at packed + 512·number; its row p (k pair) holds for each token tt the pair
// (x[t][kb·32 + 2p], x[t][kb·32 + 2p + 1]). Tokens past n are zero. Tiles [tile_from, tile_to)
// only, so that threads can share the work.
void nla_amx_pack(const float* x, int n, int k, uint16_t* packed, int tile_from, int tile_to) {
  int kb_count = k / 32;
  for (int tile_no = tile_from; tile_no < tile_to; tile_no++) {
    int tb = tile_no / kb_count, kb = tile_no % kb_count;
    uint16_t* tile = packed + (int64_t) tile_no * 512;
    int tokens = n - tb * 16 < 16 ? n - tb * 16 : 16;
    for (int tt = 0; tt < tokens; tt++) {
      const float* row = x + (int64_t) (tb * 16 + tt) * k + kb * 32;
      for (int p = 0; p < 16; p++) {
        tile[p * 32 + 2 * tt] = to_bf16(row[2 * p]);
        tile[p * 32 + 2 * tt + 1] = to_bf16(row[2 * p + 1]);
      }
    }
    for (int tt = tokens; tt < 16; tt++) {
      for (int p = 0; p < 16; p++) {
        tile[p * 32 + 2 * tt] = 0;
        tile[p * 32 + 2 * tt + 1] = 0;
      }
    }
  }
}

// How far ahead, in 32-wide k blocks, the weight rows are prefetched. A tile load reads 64 bytes
// from each of 16 rows, 32 rows at a time: more concurrent streams than the hardware prefetcher
// follows, so without this every tile load waits on memory.
#define PREFETCH_BLOCKS 8

// Prefetches the 32 rows' cache lines PREFETCH_BLOCKS blocks after kb, running on into the next
// block of rows at the end of this one (a prefetch never faults, past the matrix or not).
static inline void prefetch_rows(const uint16_t* a0, int64_t k, int kb, int kb_count) {
  int ahead = kb + PREFETCH_BLOCKS;
  const uint16_t* base = a0;
  if (ahead >= kb_count) {
    base = a0 + 32 * k;
    ahead -= kb_count;
  }
  for (int i = 0; i < 32; i++) _mm_prefetch((const char*) (base + i * k + ahead * 32), _MM_HINT_T0);
}

static void store(float* y, int y_off, int y_stride, int r, int t0, int n, const float* c) {
  for (int i = 0; i < 16; i++) {
    for (int j = 0; j < 16 && t0 + j < n; j++) {
      y[(int64_t) (t0 + j) * y_stride + y_off + r + i] = c[i * 16 + j];
    }
  }
}

// Rows [r0, r1) of y = x·wᵀ ((r1 - r0) a multiple of 16, k of 32) for the n packed tokens:
// y[t·y_stride + y_off + (r - r0)]. Blocks of 32 rows × 32 tokens use four accumulator tiles.
void nla_amx_rows(const uint16_t* w, int r0, int r1, int k, const uint16_t* packed, int n,
                  float* y, int y_off, int y_stride) {
  configure();
  int kb_count = k / 32;
  int tb_count = (n + 15) / 16;
  int64_t stride = 2LL * k;
  float c[4][256];
  y_off -= r0;
  for (int r = r0; r < r1; r += 32) {
    int two_rows = r + 32 <= r1;
    for (int tb = 0; tb < tb_count; tb += 2) {
      int two_tokens = tb + 1 < tb_count;
      const uint16_t* b0 = packed + (int64_t) tb * kb_count * 512;
      const uint16_t* b1 = b0 + (int64_t) kb_count * 512;
      const uint16_t* a0 = w + (int64_t) r * k;
      const uint16_t* a1 = a0 + (int64_t) 16 * k;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      if (two_rows && two_tokens) {
        for (int kb = 0; kb < kb_count; kb++) {
          if (tb == 0) prefetch_rows(a0, k, kb, kb_count);
          _tile_loadd(4, a0 + kb * 32, stride);
          _tile_loadd(5, a1 + kb * 32, stride);
          _tile_loadd(6, b0 + kb * 512, 64);
          _tile_loadd(7, b1 + kb * 512, 64);
          _tile_dpbf16ps(0, 4, 6);
          _tile_dpbf16ps(1, 4, 7);
          _tile_dpbf16ps(2, 5, 6);
          _tile_dpbf16ps(3, 5, 7);
        }
      } else if (two_rows) {
        for (int kb = 0; kb < kb_count; kb++) {
          if (tb == 0) prefetch_rows(a0, k, kb, kb_count);
          _tile_loadd(4, a0 + kb * 32, stride);
          _tile_loadd(5, a1 + kb * 32, stride);
          _tile_loadd(6, b0 + kb * 512, 64);
          _tile_dpbf16ps(0, 4, 6);
          _tile_dpbf16ps(2, 5, 6);
        }
      } else if (two_tokens) {
        for (int kb = 0; kb < kb_count; kb++) {
          if (tb == 0) prefetch_rows(a0, k, kb, kb_count);
          _tile_loadd(4, a0 + kb * 32, stride);
          _tile_loadd(6, b0 + kb * 512, 64);
          _tile_loadd(7, b1 + kb * 512, 64);
          _tile_dpbf16ps(0, 4, 6);
          _tile_dpbf16ps(1, 4, 7);
        }
      } else {
        for (int kb = 0; kb < kb_count; kb++) {
          if (tb == 0) prefetch_rows(a0, k, kb, kb_count);
          _tile_loadd(4, a0 + kb * 32, stride);
          _tile_loadd(6, b0 + kb * 512, 64);
          _tile_dpbf16ps(0, 4, 6);
        }
      }
      _tile_stored(0, c[0], 64);
      store(y, y_off, y_stride, r, tb * 16, n, c[0]);
      if (two_tokens) {
        _tile_stored(1, c[1], 64);
        store(y, y_off, y_stride, r, tb * 16 + 16, n, c[1]);
      }
      if (two_rows) {
        _tile_stored(2, c[2], 64);
        store(y, y_off, y_stride, r + 16, tb * 16, n, c[2]);
        if (two_tokens) {
          _tile_stored(3, c[3], 64);
          store(y, y_off, y_stride, r + 16, tb * 16 + 16, n, c[3]);
        }
      }
    }
  }
}
