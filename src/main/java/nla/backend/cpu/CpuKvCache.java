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
  private int reserved;

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
    for (int l = 0; l < keys.length; l++) {
      if (keys[l].length == 0) continue; // a layer this cache never ran (a truncated forward)
      c.ensureCapacity(l, Math.max(1, length));
      System.arraycopy(keys[l], 0, c.keys[l], 0, length * kvDim);
      System.arraycopy(values[l], 0, c.values[l], 0, length * kvDim);
    }
    c.length = length;
    return c;
  }

  @Override
  public synchronized void reserve(int positions) {
    reserved = positions;
    for (int l = 0; l < keys.length; l++) if (keys[l].length > 0) ensureCapacity(l, positions);
  }

  /**
   * Makes room for {@code positions} at {@code layer}: the reserved size if it is enough, else
   * double. Layers are sized on first use, so a forward that runs only the first K+1 blocks holds
   * keys and values for those alone.
   */
  synchronized void ensureCapacity(int layer, int positions) {
    int capacity = keys[layer].length / kvDim;
    if (positions <= capacity) return;
    int cap = positions <= reserved ? reserved : Math.max(positions, Math.max(16, capacity * 2));
    keys[layer] = Arrays.copyOf(keys[layer], cap * kvDim);
    values[layer] = Arrays.copyOf(values[layer], cap * kvDim);
  }
}
