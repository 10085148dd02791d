package nla.backend.cuda;

import java.util.Arrays;
import nla.backend.DeviceMemoryError;

/**
 * The paged KV cache of one model on one GPU: per layer, a key pool and a value pool of bf16
 * [slot][kvDim] rows, handed out in blocks of {@link #BLOCK} positions. Sequences hold lists of
 * blocks ({@link CudaKvCache}); a full block of a shared prompt prefix is held by every sequence
 * continuing it (reference counted), so the prefix's keys and values are stored once. The pools
 * grow by doubling when the blocks run out (a device-to-device copy; block numbers stay valid), or,
 * where the GPU has no room for double, by what it has room for ({@link #grownCapacity}): the cache
 * takes what the weights and the workspace leave.
 */
final class KvBlockPool implements AutoCloseable {
  static final int BLOCK = 16;
  static final int INITIAL_BLOCKS = 256;

  /** Free memory a cache grown to the limit leaves for the activation workspace to grow into. */
  static final long WORKSPACE_ROOM = CudaBackend.WORKSPACE_RESERVE;

  final int layers;
  final int kvDim;
  private final CudaDriver driver;
  final long[] keys;
  final long[] values;
  private int capacity;
  private int[] refs = new int[0];
  private int[] freeList = new int[0];
  private int freeCount;

  KvBlockPool(CudaDriver driver, int layers, int kvDim) {
    this.driver = driver;
    this.layers = layers;
    this.kvDim = kvDim;
    this.keys = new long[layers];
    this.values = new long[layers];
  }

  long blockBytes() {
    return 2L * BLOCK * kvDim;
  }

  /** Blocks in use or free, and how many tokens that is (for --verbose). */
  synchronized int capacityBlocks() {
    return capacity;
  }

  synchronized int allocate() {
    if (freeCount == 0) {
      grow(grownCapacity(capacity, layers, 2 * blockBytes(), driver.memoryInfo()[0]));
    }
    int b = freeList[--freeCount];
    refs[b] = 1;
    return b;
  }

  synchronized void retain(int block) {
    refs[block]++;
  }

  synchronized void release(int block) {
    if (--refs[block] == 0) freeList[freeCount++] = block;
  }

  /**
   * The capacity in blocks to grow to from {@code capacity}: double (at least {@link
   * #INITIAL_BLOCKS}) where the GPU's {@code freeBytes} hold that and still leave {@link
   * #WORKSPACE_ROOM}; else as many blocks as leave that room; else as many as fit at all. Growing
   * holds a layer's old pools until its new ones are filled, so one layer's worth ({@code capacity}
   * blocks of {@code layerBlockBytes}, keys and values) is counted on top. A one-line {@link
   * DeviceMemoryError} when not one more block fits.
   */
  static int grownCapacity(int capacity, int layers, long layerBlockBytes, long freeBytes) {
    long wanted = Math.max(INITIAL_BLOCKS, 2L * capacity);
    long perBlock = layers * layerBlockBytes;
    long moving = capacity * layerBlockBytes;
    long keepingRoom = capacity + Math.max(0, freeBytes - WORKSPACE_ROOM - moving) / perBlock;
    long atMost = capacity + Math.max(0, freeBytes - moving) / perBlock;
    long next = Math.min(wanted, keepingRoom > capacity ? keepingRoom : atMost);
    if (next <= capacity) {
      throw new DeviceMemoryError(
          "GPU out of memory: the KV cache holds "
              + (long) capacity * BLOCK
              + " tokens and has no room for "
              + BLOCK
              + " more ("
              + CudaDriver.gib(perBlock + moving)
              + " needed, "
              + CudaDriver.gib(freeBytes)
              + " free)");
    }
    return (int) Math.min(next, Integer.MAX_VALUE / 2);
  }

  /** Copies block {@code src}'s keys and values into block {@code dst} at every layer. */
  void copyBlock(int src, int dst) {
    long bytes = blockBytes();
    for (int l = 0; l < layers; l++) {
      driver.copyOnDevice(keys[l] + dst * bytes, keys[l] + src * bytes, bytes);
      driver.copyOnDevice(values[l] + dst * bytes, values[l] + src * bytes, bytes);
    }
  }

  private void grow(int newCapacity) {
    long bytes = (long) newCapacity * blockBytes();
    long old = (long) capacity * blockBytes();
    for (int l = 0; l < layers; l++) {
      long k = driver.malloc(bytes, "the KV cache (" + newCapacity * BLOCK + " tokens)");
      long v = driver.malloc(bytes, "the KV cache (" + newCapacity * BLOCK + " tokens)");
      if (capacity > 0) {
        driver.copyOnDevice(k, keys[l], old);
        driver.copyOnDevice(v, values[l], old);
        driver.free(keys[l]);
        driver.free(values[l]);
      }
      keys[l] = k;
      values[l] = v;
    }
    refs = Arrays.copyOf(refs, newCapacity);
    freeList = Arrays.copyOf(freeList, newCapacity);
    // Lowest numbers handed out first.
    for (int b = newCapacity - 1; b >= capacity; b--) freeList[freeCount++] = b;
    capacity = newCapacity;
  }

  @Override
  public synchronized void close() {
    if (capacity == 0) return;
    for (int l = 0; l < layers; l++) {
      driver.free(keys[l]);
      driver.free(values[l]);
    }
    capacity = 0;
  }
}
