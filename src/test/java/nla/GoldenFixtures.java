package nla;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tukaani.xz.XZInputStream;

/**
 * Golden reference data produced by Hugging Face (scripts under {@code tools/golden/}, formats in
 * {@code tools/golden/README.md}), as test fixtures.
 *
 * <p>The data lives under {@code src/test/resources/golden/}, large files {@code .xz}-compressed.
 * This class hands tests plain files: {@link #modelDir} assembles a complete Hugging Face model
 * directory under {@code target/golden/models/NAME/} (decompressing {@code .xz} files and resolving
 * {@code golden-links.json}, which shares one copy of each real tokenizer and of weights common to
 * config variants), and {@link #file} returns any other golden file, decompressed.
 */
public final class GoldenFixtures {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LINKS = "golden-links.json";

  private GoldenFixtures() {}

  /** The test-resources root, e.g. {@code target/test-classes}. */
  public static Path resourcesRoot() {
    URL url = GoldenFixtures.class.getResource("/golden");
    if (url == null)
      throw new IllegalStateException("golden test resources are not on the classpath");
    try {
      return Path.of(url.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Where decompressed fixtures are cached: {@code target/golden}. */
  public static Path cacheRoot() {
    return resourcesRoot().getParent().resolve("golden");
  }

  /**
   * A complete model directory (config.json, model.safetensors, tokenizer.json,
   * tokenizer_config.json, generation_config.json, ...) for the golden model NAME, e.g. "qwen2",
   * "gemma3-mm-v4". Built once per content change; safe to call from many tests.
   */
  public static synchronized Path modelDir(String name) {
    Path source = resourcesRoot().resolve("golden/models").resolve(name);
    if (!Files.isDirectory(source)) throw new IllegalArgumentException("no golden model " + name);
    return assemble(source, cacheRoot().resolve("models").resolve(name), LINKS, resourcesRoot());
  }

  /**
   * A golden NLA checkpoint directory (AV or AR) under {@code golden/nla/}, e.g. "qwen2-av"; same
   * assembly rules as {@link #modelDir}.
   */
  public static synchronized Path nlaDir(String name) {
    Path source = resourcesRoot().resolve("golden/nla").resolve(name);
    if (!Files.isDirectory(source)) throw new IllegalArgumentException("no golden NLA dir " + name);
    return assemble(source, cacheRoot().resolve("nla").resolve(name), LINKS, resourcesRoot());
  }

  /**
   * The demo pair shipped in the main resources ({@code nla/demo/av} or {@code nla/demo/ar}),
   * assembled under {@code target/golden/demo/PART/}: its files plus those named by its {@code
   * links.json} (paths relative to {@code nla/demo/}), {@code .xz} decompressed. References: {@code
   * golden/nla/demo/reference.json}.
   */
  public static synchronized Path demoDir(String part) {
    URL url = GoldenFixtures.class.getResource("/nla/demo/" + part);
    if (url == null) throw new IllegalArgumentException("no demo part " + part);
    try {
      Path source = Path.of(url.toURI());
      return assemble(
          source, cacheRoot().resolve("demo").resolve(part), "links.json", source.getParent());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A golden file by its path under {@code golden/}, with or without its {@code .xz} suffix, e.g.
   * "engine/qwen2/text0.logits_full_last.npy"; a compressed file is decompressed into the cache.
   */
  public static synchronized Path file(String relative) {
    Path golden = resourcesRoot().resolve("golden");
    Path plain = golden.resolve(relative);
    if (Files.isRegularFile(plain) && !relative.endsWith(".xz")) return plain;
    Path xz = relative.endsWith(".xz") ? plain : golden.resolve(relative + ".xz");
    if (!Files.isRegularFile(xz)) throw new IllegalArgumentException("no golden file " + relative);
    String name =
        relative.endsWith(".xz") ? relative.substring(0, relative.length() - 3) : relative;
    Path target = cacheRoot().resolve("files").resolve(name);
    try {
      if (!Files.isRegularFile(target)
          || Files.getLastModifiedTime(target).compareTo(Files.getLastModifiedTime(xz)) < 0) {
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".tmp", "");
        copyDecompressing(xz, tmp);
        moveReplacing(tmp, target);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A golden JSON file, e.g. "engine/qwen2/reference.json". */
  public static JsonNode json(String relative) {
    try {
      return JSON.readTree(file(relative).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A golden float32 .npy of any rank, e.g. "engine/qwen2/text0.blocks.npy" ([L, T, d]). */
  public static NdArray npy(String relative) {
    return NdArray.read(file(relative));
  }

  /** JSON int array as int[]. */
  public static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
    return out;
  }

  /** A float32 array of any rank, C order. */
  public record NdArray(int[] shape, float[] data) {
    /** Element count of one index along the first axis. */
    public int stride0() {
      int s = 1;
      for (int i = 1; i < shape.length; i++) s *= shape[i];
      return s;
    }

    /** The 2-D [rows][cols] matrix at index i of the first axis of a 3-D array. */
    public float[][] matrix(int i) {
      if (shape.length != 3) throw new IllegalStateException("not 3-D: " + Arrays.toString(shape));
      return rows(i * stride0(), shape[1], shape[2]);
    }

    /** A 2-D array as rows. */
    public float[][] rows() {
      if (shape.length != 2) throw new IllegalStateException("not 2-D: " + Arrays.toString(shape));
      return rows(0, shape[0], shape[1]);
    }

    private float[][] rows(int offset, int n, int d) {
      float[][] out = new float[n][];
      for (int r = 0; r < n; r++)
        out[r] = Arrays.copyOfRange(data, offset + r * d, offset + (r + 1) * d);
      return out;
    }

    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    static NdArray read(Path file) {
      try {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 10 || bytes[0] != (byte) 0x93 || bytes[1] != 'N') {
          throw new IllegalArgumentException(file + ": not a .npy file");
        }
        int major = bytes[6];
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = major == 1 ? Short.toUnsignedInt(bb.getShort(8)) : bb.getInt(8);
        int start = (major == 1 ? 10 : 12) + headerLen;
        String header =
            new String(bytes, start - headerLen, headerLen, StandardCharsets.ISO_8859_1);
        if (!header.contains("'descr': '<f4'") || header.contains("'fortran_order': True")) {
          throw new IllegalArgumentException(file + ": expected little-endian float32 C order");
        }
        Matcher m = SHAPE.matcher(header);
        if (!m.find()) throw new IllegalArgumentException(file + ": no shape");
        int[] shape =
            Arrays.stream(m.group(1).split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt)
                .toArray();
        int count = 1;
        for (int s : shape) count *= s;
        float[] data = new float[count];
        bb.position(start);
        bb.asFloatBuffer().get(data);
        return new NdArray(shape, data);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  // ---- assembly ----

  private static Path assemble(Path source, Path target, String linksName, Path linksBase) {
    try {
      Map<String, Path> files = sourcesOf(source, linksName, linksBase);
      String stamp = stampOf(files);
      Path stampFile = target.resolve(".golden-stamp");
      if (Files.isRegularFile(stampFile) && Files.readString(stampFile).equals(stamp))
        return target;
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempDirectory(target.getParent(), ".tmp-" + target.getFileName());
      for (Map.Entry<String, Path> e : files.entrySet()) {
        copyDecompressing(e.getValue(), tmp.resolve(e.getKey()));
      }
      Files.writeString(tmp.resolve(".golden-stamp"), stamp);
      deleteTree(target);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        // Another JVM assembled it concurrently from the same sources; use theirs.
        deleteTree(tmp);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Output file name (without .xz) -> source file, links resolved against the resources root. */
  private static Map<String, Path> sourcesOf(Path source, String linksName, Path linksBase)
      throws IOException {
    Map<String, Path> files = new TreeMap<>();
    try (Stream<Path> s = Files.list(source)) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (n.equals(linksName)) continue;
        files.put(n.endsWith(".xz") ? n.substring(0, n.length() - 3) : n, p);
      }
    }
    Path links = source.resolve(linksName);
    if (Files.isRegularFile(links)) {
      JsonNode node = JSON.readTree(links.toFile());
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        Path target = linksBase.resolve(e.getValue().asText());
        if (!Files.isRegularFile(target)) {
          throw new IllegalStateException(links + ": link target missing: " + e.getValue());
        }
        files.put(e.getKey(), target);
      }
    }
    return files;
  }

  private static String stampOf(Map<String, Path> files) throws IOException {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, Path> e : files.entrySet()) {
      parts.add(
          e.getKey()
              + "="
              + e.getValue()
              + ":"
              + Files.size(e.getValue())
              + ":"
              + Files.getLastModifiedTime(e.getValue()).toMillis());
    }
    return String.join("\n", parts);
  }

  private static void copyDecompressing(Path from, Path to) throws IOException {
    try (InputStream raw = Files.newInputStream(from);
        InputStream in =
            from.getFileName().toString().endsWith(".xz") ? new XZInputStream(raw, -1) : raw) {
      Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void moveReplacing(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
