package nla.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Device memory for a model's weights: one allocation sized from the model's declared bytes, handed
 * out in load order, so weights loaded one after another lie one after another (q, k and v; gate
 * and up) and a product against several of them can be one product against their stack. What does
 * not fit gets an allocation of its own.
 */
final class WeightSlab implements AutoCloseable {
  private static final long ALIGN = 256;

  private final CudaDriver driver;
  private final List<Long> allocations = new ArrayList<>();
  private long base;
  private long size;
  private long used;

  WeightSlab(CudaDriver driver) {
    this.driver = driver;
  }

  /** Reserves {@code bytes} for the weights about to come (a second call adds another slab). */
  void reserve(long bytes) {
    base = driver.malloc(bytes, "the model's weights");
    allocations.add(base);
    size = bytes;
    used = 0;
  }

  long take(long bytes, String what) {
    long aligned = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    if (base != 0 && used + aligned <= size) {
      long p = base + used;
      used += aligned;
      return p;
    }
    long p = driver.malloc(bytes, what);
    allocations.add(p);
    return p;
  }

  @Override
  public void close() {
    for (long p : allocations) driver.free(p);
    allocations.clear();
    base = 0;
  }
}
