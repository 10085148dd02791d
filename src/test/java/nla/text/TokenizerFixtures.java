package nla.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.tukaani.xz.XZInputStream;

/**
 * The real tokenizers committed under {@code src/test/resources/tokenizers/<family>/} (compressed),
 * materialised as plain model directories ({@code tokenizer.json} + {@code tokenizer_config.json})
 * under {@code target/tokenizer-fixtures/<family>/}, ready for {@link Tokenizer#load}. Families:
 * {@code qwen2.5}, {@code gemma3}, {@code llama3}. See {@code
 * src/test/resources/chat-templates/README.md} for where each file comes from.
 */
public final class TokenizerFixtures {
  public static final List<String> FAMILIES = List.of("qwen2.5", "gemma3", "llama3");

  private static final List<String> FILES = List.of("tokenizer.json", "tokenizer_config.json");

  private TokenizerFixtures() {}

  /** The directory holding {@code family}'s plain tokenizer files, created on first use. */
  public static synchronized Path dir(String family) {
    if (!FAMILIES.contains(family)) {
      throw new IllegalArgumentException("no tokenizer fixture " + family + "; have " + FAMILIES);
    }
    Path out = Path.of("target", "tokenizer-fixtures", family).toAbsolutePath();
    try {
      Files.createDirectories(out);
      for (String name : FILES) {
        materialise("/tokenizers/" + family + "/" + name, out.resolve(name));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * {@code family}'s tokenizer with the {@code tokenizer_config.json} that the golden Hugging Face
   * references were made with ({@code golden/tokenizers/<family>/}, see {@code
   * tools/golden/README.md}), under {@code target/tokenizer-fixtures/golden-<family>/}.
   */
  public static synchronized Path goldenDir(String family) {
    if (!FAMILIES.contains(family)) {
      throw new IllegalArgumentException("no tokenizer fixture " + family + "; have " + FAMILIES);
    }
    Path out = Path.of("target", "tokenizer-fixtures", "golden-" + family).toAbsolutePath();
    try {
      Files.createDirectories(out);
      materialise("/tokenizers/" + family + "/tokenizer.json", out.resolve("tokenizer.json"));
      materialise(
          "/golden/tokenizers/" + family + "/tokenizer_config.json",
          out.resolve("tokenizer_config.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** A copy of {@code family}'s fixture directory that a test may damage. */
  public static Path copyOf(String family, Path into) {
    try {
      Files.createDirectories(into);
      for (String name : FILES) {
        Files.copy(
            dir(family).resolve(name), into.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return into;
  }

  private static void materialise(String base, Path target) throws IOException {
    String name = target.getFileName().toString();
    URL xz = TokenizerFixtures.class.getResource(base + ".xz");
    URL plain = TokenizerFixtures.class.getResource(base);
    if (xz == null && plain == null) {
      throw new IllegalStateException("test resource " + base + "(.xz) is missing");
    }
    // A copy left by an earlier build is reused only while the fixture it came from is unchanged.
    if (Files.isRegularFile(target) && !isNewer(xz != null ? xz : plain, target)) return;
    // Written to a temporary name, then moved, so a concurrent test JVM never reads half a file.
    Path tmp = Files.createTempFile(target.getParent(), name, ".part");
    try (InputStream in = xz != null ? new XZInputStream(xz.openStream()) : plain.openStream()) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static boolean isNewer(URL resource, Path copy) throws IOException {
    if (!"file".equals(resource.getProtocol())) return false;
    try {
      Path source = Path.of(resource.toURI());
      return Files.getLastModifiedTime(source).compareTo(Files.getLastModifiedTime(copy)) > 0;
    } catch (java.net.URISyntaxException e) {
      return true;
    }
  }

  /** The text of a chat-template fixture, e.g. {@code "qwen3.chat_template.jinja"}. */
  public static String chatTemplate(String fileName) {
    URL url = TokenizerFixtures.class.getResource("/chat-templates/" + fileName);
    if (url == null) throw new IllegalStateException("no chat template fixture " + fileName);
    try {
      return Files.readString(Path.of(url.toURI()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
