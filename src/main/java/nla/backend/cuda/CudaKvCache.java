package nla.backend.cuda;

import java.util.Arrays;
import nla.backend.KvCache;

/** One sequence's cache: its blocks in {@link KvBlockPool}, in position order. */
final class CudaKvCache implements KvCache {
  private final KvBlockPool pool;
  private int[] blocks = new int[0];
  private int blockCount;
  private int length;
  private boolean closed;

  CudaKvCache(KvBlockPool pool) {
    this.pool = pool;
  }

  KvBlockPool pool() {
    return pool;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public void advance(int tokens) {
    length += tokens;
  }

  /**
   * Shares the full blocks of the committed positions and copies the last, partly filled one (its
   * free slots are about to be written by both caches). A cache whose layers were never run (the
   * later partition of a model read only up to an earlier block) has no blocks, and its copy none.
   */
  @Override
  public KvCache copy() {
    CudaKvCache c = new CudaKvCache(pool);
    int full = Math.min(length / KvBlockPool.BLOCK, blockCount);
    for (int b = 0; b < full; b++) {
      pool.retain(blocks[b]);
      c.add(blocks[b]);
    }
    if (length % KvBlockPool.BLOCK != 0 && full < blockCount) {
      int fresh = pool.allocate();
      pool.copyBlock(blocks[full], fresh);
      c.add(fresh);
    }
    c.length = length;
    return c;
  }

  @Override
  public void reserve(int positions) {
    ensure(positions);
  }

  /** Blocks for positions [0, positions). */
  void ensure(int positions) {
    while ((long) blockCount * KvBlockPool.BLOCK < positions) add(pool.allocate());
  }

  int blockCount() {
    return blockCount;
  }

  int block(int i) {
    return blocks[i];
  }

  /** The pool slot of position {@code p}. */
  int slot(int p) {
    return blocks[p / KvBlockPool.BLOCK] * KvBlockPool.BLOCK + p % KvBlockPool.BLOCK;
  }

  private void add(int block) {
    if (blockCount == blocks.length) blocks = Arrays.copyOf(blocks, Math.max(8, 2 * blockCount));
    blocks[blockCount++] = block;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    for (int i = 0; i < blockCount; i++) pool.release(blocks[i]);
    blockCount = 0;
  }
}
