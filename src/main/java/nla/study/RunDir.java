package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import nla.io.AtomicFiles;
import nla.io.OutputLock;
import nla.io.UserError;
import nla.model.LanguageModel;

/**
 * A run directory: {@code manifest.json} (tool version, checkpoint and input hashes, every
 * parameter, seeds, engine, the start and end time of each session) and one {@link Journal} per
 * step, under {@code <study>/<name>.jsonl}, plus each study's {@code summary.json}.
 *
 * <p>Opening an existing run resumes it: its recorded parameters, seed and input hashes must equal
 * the new ones (a different value is a user error naming the field, so results computed under other
 * settings are never mixed), and a new session is appended to the manifest.
 */
public final class RunDir implements AutoCloseable {
  public static final String MANIFEST = "manifest.json";

  /** The lock file whose OS lock the process writing the run holds (it records the pid). */
  public static final String LOCK = ".lock";

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path dir;
  private final ObjectNode manifest;
  private final Map<String, Journal> journals = new HashMap<>();
  private final boolean resumed;
  private final OutputLock lock;

  /** What identifies a run: everything that changes its results. */
  public record Identity(
      String study,
      long seed,
      String engine,
      Map<String, Object> parameters,
      Map<String, String> inputHashes) {}

  private RunDir(Path dir, ObjectNode manifest, boolean resumed, OutputLock lock) {
    this.dir = dir;
    this.manifest = manifest;
    this.resumed = resumed;
    this.lock = lock;
  }

  /**
   * Creates a run directory, or resumes the one there if its identity matches. The directory is
   * locked until {@link #close()}: a second process opening it is refused, since two writers would
   * each rewrite the manifest from their own copy (one study's entry lost, and with it the check
   * that a resumed study keeps its seed).
   */
  public static RunDir open(Path dir, Identity id) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UserError("cannot create run directory " + dir + ": " + e.getMessage());
    }
    OutputLock lock = OutputLock.acquire(dir.resolve(LOCK), "run directory " + dir);
    try {
      return open(dir, id, lock);
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static RunDir open(Path dir, Identity id, OutputLock lock) {
    Path mf = dir.resolve(MANIFEST);
    ObjectNode fresh = identityJson(id);
    ObjectNode manifest;
    boolean resumed = Files.exists(mf);
    if (resumed) {
      manifest = readManifest(mf);
      ObjectNode studies = (ObjectNode) manifest.get("studies");
      JsonNode previous = studies.get(id.study());
      if (previous != null) checkSame(mf, id.study(), previous, fresh);
      else studies.set(id.study(), fresh);
    } else {
      manifest = JSON.createObjectNode();
      manifest.put("tool", "nla");
      manifest.put("tool_version", toolVersion());
      manifest.put("java", Runtime.version().toString());
      manifest.set("studies", JSON.createObjectNode().set(id.study(), fresh));
      manifest.set("sessions", JSON.createArrayNode());
    }
    ObjectNode session = JSON.createObjectNode();
    session.put("study", id.study());
    session.put("started", Instant.now().toString());
    session.put("device", LanguageModel.describeDefaultDevice());
    session.putNull("ended");
    ((ArrayNode) manifest.get("sessions")).add(session);
    RunDir run = new RunDir(dir, manifest, resumed, lock);
    run.writeManifest();
    return run;
  }

  private static ObjectNode identityJson(Identity id) {
    ObjectNode n = JSON.createObjectNode();
    n.put("seed", id.seed());
    n.put("engine", id.engine());
    n.set("parameters", JSON.valueToTree(id.parameters()));
    n.set("inputs", JSON.valueToTree(id.inputHashes()));
    // Round-trip through text so numbers compare the way they will read back (42L vs 42).
    try {
      return (ObjectNode) JSON.readTree(JSON.writeValueAsString(n));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void checkSame(Path mf, String study, JsonNode was, JsonNode now) {
    for (String section : List.of("seed", "engine", "parameters", "inputs")) {
      JsonNode a = was.get(section);
      JsonNode b = now.get(section);
      if (a != null && a.isObject() && b.isObject()) {
        Iterator<String> names = b.fieldNames();
        while (names.hasNext()) {
          String f = names.next();
          if (!b.get(f).equals(a.get(f)))
            throw new UserError(
                mf
                    + ": cannot resume study '"
                    + study
                    + "': "
                    + section
                    + "."
                    + f
                    + " was "
                    + a.get(f)
                    + ", now "
                    + b.get(f)
                    + " (use a new run directory)");
        }
        Iterator<String> old = a.fieldNames();
        while (old.hasNext()) {
          String f = old.next();
          if (!b.has(f))
            throw new UserError(
                mf + ": cannot resume study '" + study + "': " + section + "." + f + " is gone");
        }
      } else if (!java.util.Objects.equals(a, b)) {
        throw new UserError(
            mf + ": cannot resume study '" + study + "': " + section + " was " + a + ", now " + b);
      }
    }
  }

  private static ObjectNode readManifest(Path mf) {
    try {
      return (ObjectNode) JSON.readTree(mf.toFile());
    } catch (IOException | ClassCastException e) {
      throw new UserError(mf + ": not a readable run manifest (" + e.getMessage() + ")");
    }
  }

  public static String toolVersion() {
    String v = RunDir.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  public Path dir() {
    return dir;
  }

  public boolean resumed() {
    return resumed;
  }

  public ObjectNode manifest() {
    return manifest;
  }

  /** The journal {@code <study>/<name>.jsonl}, opened once per run. */
  public synchronized Journal journal(String study, String name) {
    return journals.computeIfAbsent(
        study + "/" + name, k -> Journal.open(dir.resolve(study).resolve(name + ".jsonl")));
  }

  /** Writes {@code <study>/summary.json} atomically (a kill leaves the old one or the new one). */
  public void writeSummary(String study, JsonNode summary) {
    writeAtomically(dir.resolve(study).resolve("summary.json"), summary);
  }

  public static JsonNode readSummary(Path runDir, String study) {
    Path f = runDir.resolve(study).resolve("summary.json");
    if (!Files.exists(f)) return null;
    try {
      return JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new UserError(f + ": not readable JSON (" + e.getMessage() + ")");
    }
  }

  private void writeManifest() {
    writeAtomically(dir.resolve(MANIFEST), manifest);
  }

  static void writeAtomically(Path target, JsonNode json) {
    try {
      writeAtomically(target, JSON.writeValueAsBytes(json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a file whole or not at all ({@link AtomicFiles}). */
  static void writeAtomically(Path target, byte[] bytes) throws IOException {
    AtomicFiles.write(target, bytes);
  }

  /** Marks the session finished: the end time goes into the manifest. */
  @Override
  public void close() {
    try {
      for (Journal j : journals.values()) j.close();
      ArrayNode sessions = (ArrayNode) manifest.get("sessions");
      ((ObjectNode) sessions.get(sessions.size() - 1)).put("ended", Instant.now().toString());
      writeManifest();
    } finally {
      lock.close();
    }
  }

  /** SHA-256 of a file's bytes, hex. */
  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 20];
      for (int r; (r = in.read(buf)) > 0; ) md.update(buf, 0, r);
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UserError("cannot read " + file + " to hash it: " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A checkpoint's identity without reading tens of gigabytes: SHA-256 over the small files
   * (config, sidecar, tokenizer, index) in full and, for each weight file, its name, size and first
   * megabyte (a safetensors header with every tensor's name, dtype, shape and offsets).
   */
  public static String checkpointHash(Path modelDir) {
    try (Stream<Path> files = Files.list(modelDir)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        md.update(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long size = Files.size(f);
        md.update(Long.toString(size).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (InputStream in = Files.newInputStream(f)) {
          byte[] head = in.readNBytes(size > (64L << 20) ? 1 << 20 : (int) size);
          md.update(head);
        }
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UserError("cannot read checkpoint " + modelDir + ": " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
