package nla.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import nla.backend.DeviceMemoryError;
import nla.io.OutputLock;
import nla.io.UserError;

/**
 * Runs an extraction over a corpus slice in chunks of documents, so that a run killed at any
 * instant (kill -9 included) resumes where it stopped and ends with the same files as a run that
 * was never interrupted.
 *
 * <p>Each chunk's outputs go to a work folder as parquet parts written whole-or-not-at-all
 * (temporary name, fsync, rename), and a chunk counts as done only once its {@code .done} record
 * (its counts, written the same way) exists. A rerun with the same job checks the recorded job
 * description, skips the done chunks and continues with the first missing one. When all chunks are
 * done the parts are concatenated into each output, the sidecars written, and the work folder
 * removed; until then no output file exists under its final name.
 */
public final class ExtractionJob {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One output file and the sidecar it gets (its row count is filled in at the end). */
  public record Output(Path file, int dModel, DatasetSidecar sidecar) {}

  private final Path workDir;
  private final Map<String, Output> outputs;
  private final Path report;
  private final JsonNode description;
  private final long start;
  private final long length;
  private final int chunkDocs;

  /**
   * @param workDir where parts live until the end
   * @param outputs the outputs by name (the names a {@link ChunkResult} uses)
   * @param report a JSONL file for the chunks' report lines, or null
   * @param description everything that determines the result (model, corpus, flags): a rerun must
   *     match it to resume
   */
  public ExtractionJob(
      Path workDir,
      Map<String, Output> outputs,
      Path report,
      Map<String, Object> description,
      long start,
      long length,
      int chunkDocs) {
    if (chunkDocs < 1) throw new UserError("--chunk-docs must be >= 1");
    this.workDir = workDir;
    this.outputs = new LinkedHashMap<>(outputs);
    this.report = report;
    ObjectNode d = JSON.valueToTree(description);
    d.put("start", start);
    d.put("length", length);
    d.put("chunk_docs", chunkDocs);
    // Through text and back, so it compares equal to the recorded copy (int vs long nodes).
    try {
      this.description = JSON.readTree(JSON.writeValueAsString(d));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.start = start;
    this.length = length;
    this.chunkDocs = chunkDocs;
  }

  public Path workDir() {
    return workDir;
  }

  /**
   * Runs (or resumes) the job; returns the counts over the whole slice. The work folder is locked
   * while it runs: a second run on the same output is refused rather than writing the same chunks
   * beside the first.
   */
  public ExtractionStats run(
      Corpus corpus, Function<List<Document>, ChunkResult> extractor, Progress progress) {
    try {
      // Outputs already there and no work folder: a finished job, refused before any folder is
      // made.
      if (!Files.isDirectory(workDir)) refuseExistingOutputs();
      Files.createDirectories(workDir);
      try (OutputLock lock = OutputLock.acquire(workDir.resolve(LOCK), "output " + outputName())) {
        return runLocked(corpus, extractor, progress);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The output as a message names it: the file, or with several the folder holding them. */
  private Path outputName() {
    return outputs.size() == 1 ? outputs.values().iterator().next().file() : workDir.getParent();
  }

  /** The lock file inside the work folder (removed with it at the end). */
  static final String LOCK = "lock";

  private void refuseExistingOutputs() {
    for (Output o : outputs.values()) {
      if (Files.exists(o.file())) {
        throw new UserError(o.file() + " already exists; remove it to extract again");
      }
    }
  }

  private ExtractionStats runLocked(
      Corpus corpus, Function<List<Document>, ChunkResult> extractor, Progress progress)
      throws IOException {
    String createdAt = prepareWorkDir();
    long chunks = (length + chunkDocs - 1) / chunkDocs;
    ExtractionStats total = ExtractionStats.ZERO;
    long firstMissing = 0;
    while (firstMissing < chunks && Files.exists(donePath(firstMissing))) {
      total = total.plus(readDone(firstMissing));
      firstMissing++;
    }
    removeChunksFrom(firstMissing);
    progress.update(Math.min(length, firstMissing * chunkDocs), length);
    if (firstMissing < chunks) {
      Iterator<Document> docs = corpus.documents(start + firstMissing * chunkDocs);
      for (long c = firstMissing; c < chunks; c++) {
        long n = Math.min(chunkDocs, length - c * chunkDocs);
        List<Document> chunk = new ArrayList<>();
        for (long i = 0; i < n; i++) {
          if (!docs.hasNext()) {
            throw new UserError(
                corpus.path() + ": ended at document " + (start + c * chunkDocs + i));
          }
          chunk.add(docs.next());
        }
        ChunkResult result;
        try {
          result = extractor.apply(chunk);
        } catch (DeviceMemoryError e) {
          // The GPU is full (a larger chunk, or another process using it). The done chunks are
          // whole; the job description leaves out --batch, so the rerun may take a smaller one.
          throw new DeviceMemoryError(
              e.getMessage()
                  + "; "
                  + kept(c)
                  + ": rerun the same command to resume (a smaller --batch needs less memory)",
              e);
        }
        try {
          writeChunk(c, result);
        } catch (IOException | UncheckedIOException e) {
          // A full disk, most likely. The done chunks are whole (each written to a temporary name,
          // forced, renamed) and this one's parts are dropped on resume.
          throw new UserError(
              workDir
                  + ": cannot write chunk "
                  + c
                  + " ("
                  + (e instanceof UncheckedIOException u ? u.getCause() : e).getMessage()
                  + "); "
                  + kept(c)
                  + ": free space and rerun the same command to resume",
              e);
        }
        total = total.plus(result.stats());
        progress.update(Math.min(length, (c + 1) * chunkDocs), length);
      }
    }
    progress.finish();
    finish(chunks, createdAt, total);
    return total;
  }

  /** What a stop at chunk {@code c} keeps, in words: the chunks before it. */
  static String kept(long c) {
    if (c == 0) return "no chunk was done before it";
    return c == 1 ? "the chunk before it is kept" : "the " + c + " chunks before it are kept";
  }

  /** Creates the work folder, or checks that the one there belongs to this same job. */
  private String prepareWorkDir() throws IOException {
    Path jobFile = workDir.resolve("job.json");
    if (Files.isRegularFile(jobFile)) {
      JsonNode recorded = JSON.readTree(jobFile.toFile());
      ObjectNode withoutTime = recorded.deepCopy();
      withoutTime.remove("created_at");
      for (String key : List.of("checkpoint", "checkpoint_a", "checkpoint_b")) {
        // Other weights under the same path: resuming would put two models' rows in one file.
        if (description.has(key) && !description.get(key).equals(withoutTime.get(key))) {
          throw new UserError(
              workDir
                  + " holds an interrupted run extracted with other weights (the checkpoint"
                  + " changed since: "
                  + key
                  + " fingerprint was "
                  + withoutTime.path(key).asText("not recorded")
                  + ", now "
                  + description.get(key).asText()
                  + "); delete it to start over with these weights");
        }
      }
      if (!withoutTime.equals(description)) {
        throw new UserError(
            workDir
                + " holds an interrupted run with different settings ("
                + differences(withoutTime, description)
                + "); rerun with the same flags to resume it, or delete it to start over");
      }
      return recorded.path("created_at").asText(DatasetSidecar.now());
    }
    refuseExistingOutputs();
    ObjectNode withTime = (ObjectNode) description.deepCopy();
    String createdAt = DatasetSidecar.now();
    withTime.put("created_at", createdAt);
    writeAtomically(jobFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(withTime));
    return createdAt;
  }

  private static String differences(JsonNode a, JsonNode b) {
    List<String> keys = new ArrayList<>();
    a.fieldNames()
        .forEachRemaining(
            k -> {
              if (!a.get(k).equals(b.get(k)))
                keys.add(k + " was " + a.get(k) + ", now " + b.get(k));
            });
    b.fieldNames()
        .forEachRemaining(
            k -> {
              if (!a.has(k)) keys.add(k + " is new");
            });
    return String.join("; ", keys);
  }

  private Path partPath(String output, long chunk) {
    return workDir.resolve(String.format("%s-%06d.parquet", output, chunk));
  }

  private Path reportPartPath(long chunk) {
    return workDir.resolve(String.format("report-%06d.jsonl", chunk));
  }

  private Path donePath(long chunk) {
    return workDir.resolve(String.format("chunk-%06d.done", chunk));
  }

  private void writeChunk(long chunk, ChunkResult result) throws IOException {
    for (Map.Entry<String, Output> e : outputs.entrySet()) {
      List<ActivationRow> rows = result.rows().getOrDefault(e.getKey(), List.of());
      ActivationParquet.write(partPath(e.getKey(), chunk), e.getValue().dModel(), rows);
    }
    if (report != null) {
      StringBuilder sb = new StringBuilder();
      result.reportLines().forEach(l -> sb.append(l).append('\n'));
      writeAtomically(reportPartPath(chunk), sb.toString());
    }
    writeAtomically(donePath(chunk), JSON.writeValueAsString(result.stats()));
  }

  private ExtractionStats readDone(long chunk) throws IOException {
    return JSON.readValue(donePath(chunk).toFile(), ExtractionStats.class);
  }

  /** Parts of chunks that never got their done record (a kill mid-chunk) are stale: drop them. */
  private void removeChunksFrom(long chunk) throws IOException {
    try (Stream<Path> files = Files.list(workDir)) {
      for (Path p : files.toList()) {
        String name = p.getFileName().toString();
        if (name.endsWith(".tmp")) {
          Files.deleteIfExists(p);
          continue;
        }
        int dash = name.lastIndexOf('-');
        int dot = name.indexOf('.', Math.max(dash, 0));
        if (dash < 0 || dot < 0 || name.equals("job.json")) continue;
        String digits = name.substring(dash + 1, dot);
        if (digits.matches("\\d{6}") && Long.parseLong(digits) >= chunk) Files.deleteIfExists(p);
      }
    }
  }

  private void finish(long chunks, String createdAt, ExtractionStats total) throws IOException {
    for (Map.Entry<String, Output> e : outputs.entrySet()) {
      List<Path> parts = new ArrayList<>();
      for (long c = 0; c < chunks; c++) parts.add(partPath(e.getKey(), c));
      Output o = e.getValue();
      if (o.file().getParent() != null) Files.createDirectories(o.file().getParent());
      // Sidecar first, parquet second: a kill between the two leaves a sidecar whose row count
      // the parquet does not yet match, which readers refuse, never a parquet that looks whole.
      DatasetSidecar base = o.sidecar();
      DatasetSidecar sidecar =
          new DatasetSidecar(
              base.datasetId(),
              base.stage(),
              rowCount(parts),
              base.extraction(),
              base.parentDatasets(),
              createdAt,
              base.createdBy());
      sidecar.writeFor(o.file());
      ActivationParquet.concat(parts, o.file(), o.dModel());
    }
    if (report != null) {
      StringBuilder sb = new StringBuilder();
      for (long c = 0; c < chunks; c++) sb.append(Files.readString(reportPartPath(c)));
      writeAtomically(report, sb.toString());
    }
    FileSync.deleteRecursively(workDir);
  }

  private static long rowCount(List<Path> parts) {
    long rows = 0;
    for (Path p : parts) rows += ActivationParquet.info(p).rows();
    return rows;
  }

  static void writeAtomically(Path target, String text) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    FileSync.moveAtomically(tmp, target);
  }
}
