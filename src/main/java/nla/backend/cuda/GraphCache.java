package nla.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Recorded runs of a step's work (CUDA graphs), by what makes two steps' launches the same. A key
 * seen once runs directly; seen again, its work is recorded (stream capture), and the recording is
 * launched then and for every later step with that key. Work that cannot be recorded runs directly
 * from then on. The least recently used recordings are dropped beyond a limit.
 */
final class GraphCache implements AutoCloseable {

  /**
   * Everything a recording's launches depend on: the caller's shape, the step's rows and
   * block-table width, the workspace layout (where the step started, where the work starts, and a
   * digest of the allocations between), and the step's uploaded layout buffers (their contents may
   * change; a replay reads them where they are).
   */
  record Key(
      Object shape,
      int rows,
      int blockTableWidth,
      DeviceArena.Mark stepStart,
      DeviceArena.Mark workStart,
      long allocations,
      long rowSeq,
      long rowPos,
      long slots,
      long blockTables) {}

  private final CudaDriver driver;
  private final MemorySegment stream;
  private final boolean enabled;
  private final Map<Key, MemorySegment> recorded;
  private final Map<Key, Boolean> seen;
  private final Set<Key> unrecordable = new HashSet<>();
  private long kvTokens = -1;
  private long replays;

  GraphCache(CudaDriver driver, MemorySegment stream, int kept, boolean enabled) {
    this.driver = driver;
    this.stream = stream;
    this.enabled = enabled;
    this.recorded =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, MemorySegment> eldest) {
            if (size() <= kept) return false;
            driver.destroyGraph(eldest.getValue());
            return true;
          }
        };
    this.seen =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
            return size() > 4 * kept;
          }
        };
  }

  boolean enabled() {
    return enabled;
  }

  long replays() {
    return replays;
  }

  /**
   * Drops every recording when the KV pools have grown since (a grown pool moved, and recordings
   * address the old one).
   */
  void invalidateUnless(long kvCacheTokens) {
    if (kvCacheTokens == kvTokens) return;
    clear();
    kvTokens = kvCacheTokens;
  }

  void run(Key key, Runnable work) {
    MemorySegment exec = recorded.get(key);
    if (exec == null && seen.containsKey(key) && !unrecordable.contains(key)) {
      exec = record(key, work);
      if (exec == null) {
        work.run();
        return;
      }
    }
    if (exec == null) {
      seen.put(key, Boolean.TRUE);
      work.run();
      return;
    }
    driver.launchGraph(exec, stream);
    replays++;
  }

  /** The work recorded as a graph, or null when it cannot be (nothing of it ran). */
  private MemorySegment record(Key key, Runnable work) {
    driver.beginCapture(stream);
    MemorySegment exec;
    try {
      work.run();
    } catch (RuntimeException e) {
      // A call the capture does not allow (a read back, an allocation): run it directly instead.
      driver.endCapture(stream);
      unrecordable.add(key);
      return null;
    }
    exec = driver.endCapture(stream);
    if (exec == null) {
      unrecordable.add(key);
      return null;
    }
    recorded.put(key, exec);
    return exec;
  }

  private void clear() {
    for (MemorySegment exec : recorded.values()) driver.destroyGraph(exec);
    recorded.clear();
    seen.clear();
    unrecordable.clear();
  }

  @Override
  public void close() {
    clear();
  }
}
