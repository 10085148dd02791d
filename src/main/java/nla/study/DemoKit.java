package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.tukaani.xz.XZInputStream;

/**
 * The bundled demo: a tiny random-initialised Qwen2.5-family NLA pair (the real Qwen tokenizer, d =
 * 16, K = 1) and a small corpus, shipped inside the jar so the first run needs no download. Files
 * stored once are linked by {@code links.json}; {@code .xz} files are unpacked on the way out.
 */
public final class DemoKit {
  /** Where the materialised pieces are. The AV's model is also the base model of the demo. */
  public record Paths(Path av, Path ar, Path corpus) {}

  private static final String ROOT = "/nla/demo/";

  private DemoKit() {}

  /** Writes the pair and the corpus under {@code dir} (idempotent: existing files are kept). */
  public static Paths materialise(Path dir) {
    try {
      Path av = dir.resolve("checkpoints/demo-av");
      Path ar = dir.resolve("checkpoints/demo-ar");
      for (String entry : resourceList()) {
        if (entry.startsWith("nla/demo/av/")) copyInto(entry, av, "nla/demo/av/");
        else if (entry.startsWith("nla/demo/ar/")) copyInto(entry, ar, "nla/demo/ar/");
      }
      link(av);
      link(ar);
      Path corpus = dir.resolve("corpus.jsonl");
      if (!Files.exists(corpus)) copy("/demo/corpus.jsonl", corpus, false);
      return new Paths(av, ar, corpus);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String pairHash;

  /**
   * The identity a run's manifest records for the bundled pair ({@link RunDir#checkpointHash} of
   * the AV and the AR, as a study's {@code nla:} input), so a report can say that its numbers come
   * from the random demo pair. Computed once, from a copy materialised in a temporary folder.
   */
  public static synchronized String pairHash() {
    if (pairHash != null) return pairHash;
    Path dir = null;
    try {
      dir = Files.createTempDirectory("nla-demo-kit");
      Paths kit = materialise(dir);
      pairHash = RunDir.checkpointHash(kit.av()) + "+" + RunDir.checkpointHash(kit.ar());
      return pairHash;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (dir != null) deleteQuietly(dir);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList())
        Files.deleteIfExists(p);
    } catch (IOException e) {
      // A leftover folder under the system's temporary directory harms nothing.
    }
  }

  private static List<String> resourceList() throws IOException {
    try (InputStream in = open(ROOT + "files.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .filter(l -> !l.isBlank())
          .toList();
    }
  }

  private static void copyInto(String entry, Path dir, String prefix) throws IOException {
    String name = entry.substring(prefix.length());
    if (name.equals("links.json")) return;
    boolean xz = name.endsWith(".xz");
    Path target = dir.resolve(xz ? name.substring(0, name.length() - 3) : name);
    if (!Files.exists(target)) copy("/" + entry, target, xz);
  }

  /** Materialises the files a checkpoint shares with others, named in its {@code links.json}. */
  private static void link(Path dir) throws IOException {
    String side = dir.getFileName().toString().endsWith("-av") ? "av" : "ar";
    JsonNode links;
    try (InputStream in = open(ROOT + side + "/links.json")) {
      links = new ObjectMapper().readTree(in);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = links.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Path target = dir.resolve(e.getKey());
      String source = e.getValue().asText();
      if (!Files.exists(target)) copy(ROOT + source, target, source.endsWith(".xz"));
    }
  }

  private static void copy(String resource, Path target, boolean xz) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    try (InputStream raw = open(resource);
        InputStream in = xz ? new XZInputStream(raw) : raw) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static InputStream open(String resource) throws IOException {
    InputStream in = DemoKit.class.getResourceAsStream(resource);
    if (in == null)
      throw new IOException("the demo resource " + resource + " is missing from the build");
    return in;
  }
}
