package nla.backend.cpu;

import java.util.Arrays;
import nla.backend.KvCache;

/**
 * Per-layer growable key and value arrays, [position][kvHead][headDim] row-major. Sliding-window
 * layers keep every position and mask instead (simple and exact; a ring buffer can come later).
 */
final class CpuKvCache implements KvCache {
  final int kvDim;
  final float[][] keys;
  final float[][] values;
  private int length;
  private int capacity;

  CpuKvCache(int layers, int kvHeads, int headDim) {
    this.kvDim = kvHeads * headDim;
    this.keys = new float[layers][0];
    this.values = new float[layers][0];
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public void advance(int tokens) {
    length += tokens;
  }

  @Override
  public synchronized KvCache copy() {
    CpuKvCache c = new CpuKvCache(keys.length, 1, kvDim);
    c.ensureCapacity(Math.max(1, length));
    for (int l = 0; l < keys.length; l++) {
      System.arraycopy(keys[l], 0, c.keys[l], 0, length * kvDim);
      System.arraycopy(values[l], 0, c.values[l], 0, length * kvDim);
    }
    c.length = length;
    return c;
  }

  /** Makes room for positions up to {@code positions} at every layer. */
  synchronized void ensureCapacity(int positions) {
    if (positions <= capacity) return;
    int cap = Math.max(positions, Math.max(16, capacity * 2));
    for (int l = 0; l < keys.length; l++) {
      keys[l] = Arrays.copyOf(keys[l], cap * kvDim);
      values[l] = Arrays.copyOf(values[l], cap * kvDim);
    }
    capacity = cap;
  }
}
