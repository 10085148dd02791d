package nla.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors weights of a model directory, single-file ({@code model.safetensors}) or sharded
 * ({@code model.safetensors.index.json} naming its shards), memory-mapped in one shared arena that
 * {@link #close()} releases.
 */
public final class ModelWeights implements AutoCloseable {
  public static final String SINGLE = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";

  /**
   * Overrides the physical memory size used by the "too large for memory" check (tests set it to
   * exercise the refusal without a large file).
   */
  public static final String MEMORY_LIMIT_PROPERTY = "nla.memoryLimitBytes";

  private static final String READING = "reading weights"; // the progress label

  private final Arena arena;
  private final Map<String, StoredTensor> tensors;
  private final long totalBytes;

  private ModelWeights(Arena arena, Map<String, StoredTensor> tensors, long totalBytes) {
    this.arena = arena;
    this.tensors = tensors;
    this.totalBytes = totalBytes;
  }

  /** The headers of every weight file in {@code dir}, validated, nothing mapped yet. */
  public static List<SafeTensors.Header> readHeaders(Path dir) {
    List<Path> files = weightFiles(dir);
    List<SafeTensors.Header> headers = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (Path f : files) {
      SafeTensors.Header h = SafeTensors.readHeader(f);
      for (String name : h.entries().keySet()) {
        if (!seen.add(name)) throw new UserError(f + ": tensor " + name + " appears in two shards");
      }
      headers.add(h);
    }
    return headers;
  }

  /**
   * Opens the weights of {@code dir}: headers are validated, then the total size is compared with
   * physical memory (refused with the numbers before anything is mapped), then the files are
   * mapped.
   */
  public static ModelWeights open(Path dir) {
    List<SafeTensors.Header> headers = readHeaders(dir);
    long total = 0;
    for (SafeTensors.Header h : headers)
      for (SafeTensors.Entry e : h.entries().values()) total += e.byteCount();
    checkFitsInMemory(dir, total);
    Arena arena = Arena.ofShared();
    try {
      Map<String, StoredTensor> all = new LinkedHashMap<>();
      for (SafeTensors.Header h : headers) all.putAll(SafeTensors.map(h, arena));
      return new ModelWeights(arena, Collections.unmodifiableMap(all), total);
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /**
   * {@link #open} then {@link #requireFinite}: the weights, or a user error naming the first tensor
   * holding NaN or Inf, with nothing left mapped. What a model loader calls in place of {@code
   * open} to refuse a damaged checkpoint before it decodes garbage.
   */
  public static ModelWeights openFinite(Path dir) {
    ModelWeights weights = open(dir);
    try {
      weights.requireFinite();
      return weights;
    } catch (RuntimeException e) {
      weights.close();
      throw e;
    }
  }

  /** Physical memory in bytes (or the test override). */
  public static long physicalMemoryBytes() {
    String override = System.getProperty(MEMORY_LIMIT_PROPERTY);
    if (override != null) return Long.parseLong(override);
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getTotalMemorySize();
    return Long.MAX_VALUE;
  }

  private static void checkFitsInMemory(Path dir, long weightBytes) {
    long physical = physicalMemoryBytes();
    if (weightBytes > physical) {
      throw new UserError(
          String.format(
              "%s: the model's weights need %.2f GiB but this machine has %.2f GiB of memory;"
                  + " use a machine with more memory",
              dir, weightBytes / 1073741824.0, physical / 1073741824.0));
    }
  }

  private static List<Path> weightFiles(Path dir) {
    Path index = dir.resolve(INDEX);
    Path single = dir.resolve(SINGLE);
    if (Files.isRegularFile(index)) {
      JsonNode root;
      try {
        root = new ObjectMapper().readTree(index.toFile());
      } catch (IOException e) {
        throw new UserError(
            index + ": not valid JSON: " + e.getMessage().lines().findFirst().get());
      }
      JsonNode map = root == null ? null : root.get("weight_map");
      if (map == null || !map.isObject()) throw new UserError(index + ": missing weight_map");
      Set<String> shards = new LinkedHashSet<>();
      for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) shards.add(it.next().asText());
      List<Path> files = new ArrayList<>();
      for (String s : shards) {
        Path p = dir.resolve(s);
        if (!Files.isRegularFile(p)) throw new UserError(index + ": shard " + s + " is missing");
        files.add(p);
      }
      return files;
    }
    if (Files.isRegularFile(single)) return List.of(single);
    throw new UserError(dir + ": no " + SINGLE + " or " + INDEX);
  }

  public Map<String, StoredTensor> tensors() {
    return tensors;
  }

  public StoredTensor get(String name) {
    StoredTensor t = tensors.get(name);
    if (t == null) throw new UserError("weights: tensor " + name + " is missing");
    return t;
  }

  public boolean has(String name) {
    return tensors.containsKey(name);
  }

  /** Bytes of all stored tensors, as on disk. */
  public long totalBytes() {
    return totalBytes;
  }

  /**
   * Refuses weights holding NaN or Inf, naming the first such tensor: a damaged checkpoint would
   * otherwise decode garbage without a word. Opt-in, for the loader to call once after {@link
   * #open}: it reads every weight byte once (memory speed when the files are cached, else about the
   * time the first forward pass spends faulting them in).
   */
  public void requireFinite() {
    // Minutes for a large checkpoint read from disk: say so on stderr (plain lines off a terminal).
    try (ProgressBar bar = ProgressBar.onTerminal(READING, null)) {
      requireFinite(bar);
    }
  }

  /**
   * {@link #requireFinite()} reporting to {@code bar}: bytes read of all tensors, the label naming
   * the weight file being read ("reading weights 2/4 files").
   */
  public void requireFinite(ProgressBar bar) {
    List<Path> files = tensors.values().stream().map(StoredTensor::file).distinct().toList();
    long bytes = 0;
    for (StoredTensor t : tensors.values()) bytes += t.data().byteSize();
    bar.setLabel(READING + " 1/" + files.size() + " files");
    bar.start(bytes, 0);
    Path reading = files.isEmpty() ? null : files.get(0);
    for (StoredTensor t : tensors.values()) {
      if (!t.file().equals(reading)) {
        reading = t.file();
        bar.setLabel(READING + " " + (files.indexOf(reading) + 1) + "/" + files.size() + " files");
      }
      long at = firstNonFinite(t);
      if (at >= 0) {
        throw new UserError(
            t.file()
                + ": tensor "
                + t.name()
                + " holds "
                + (Float.isNaN(t.get(at)) ? "NaN" : "Inf")
                + " (element "
                + at
                + " of "
                + t.elementCount()
                + "); the checkpoint is damaged, download or convert it again");
      }
      bar.advance(t.data().byteSize());
    }
  }

  /**
   * The index of the first NaN or ±Inf element of {@code t}, or -1. Works on the raw bits: a value
   * is non-finite exactly when its exponent field is all ones, tested four 16-bit (or two 32-bit)
   * values per long read.
   */
  private static final ValueLayout.OfLong LE_LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  static long firstNonFinite(StoredTensor t) {
    MemorySegment data = t.data();
    int bytes = t.dtype().bytes();
    long exp =
        switch (t.dtype()) {
          case BF16 -> 0x7F80L;
          case F16 -> 0x7C00L;
          case F32 -> 0x7F800000L;
        };
    long lanes = bytes == 2 ? exp * 0x0001_0001_0001_0001L : exp * 0x0000_0001_0000_0001L;
    long ones = bytes == 2 ? 0x0001_0001_0001_0001L : 0x0000_0001_0000_0001L;
    long high = bytes == 2 ? 0x8000_8000_8000_8000L : 0x8000_0000_8000_0000L;
    long size = data.byteSize();
    long words = size / 8;
    for (long w = 0; w < words; w++) {
      long v = (data.get(LE_LONG, w * 8) & lanes) ^ lanes;
      // A lane of v is zero exactly when that value's exponent is all ones; the high bit of each
      // lane is clear in v, which makes this zero-lane test exact.
      if (((v - ones) & ~v & high) != 0) return scan(t, w * 8 / bytes, (w + 1) * 8 / bytes);
    }
    return scan(t, words * 8 / bytes, t.elementCount());
  }

  private static long scan(StoredTensor t, long from, long to) {
    for (long i = from; i < to; i++) if (!Float.isFinite(t.get(i))) return i;
    return -1;
  }

  @Override
  public void close() {
    arena.close();
  }
}
