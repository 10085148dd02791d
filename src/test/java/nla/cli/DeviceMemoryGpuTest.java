package nla.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import nla.backend.cuda.GpuMemoryHog;
import nla.data.ActivationParquet;
import nla.data.ActivationRow;
import nla.data.Extractor;
import nla.data.PositionSampler;
import nla.io.DType;
import nla.model.TinyModels;
import nla.study.DemoKit;
import nla.text.Tokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real out-of-memory on the GPU in the middle of {@code extract-corpus}, made deterministic: a
 * hog takes the GPU's memory until the run has room for its start and its first chunk but not its
 * second. The run stops with one line that says the first chunk is kept; a rerun of the same
 * command, with the memory back, resumes and ends with the file an uninterrupted run writes.
 *
 * <p>Why the model and corpus look as they do. A forward never holds more than 4096 tokens of
 * several documents (the model's prefill budget), so a step only outgrows the ones before it when
 * one document alone is longer than that: the second chunk is one long document. The demo AV needs
 * about 1 KB of workspace per token, so outgrowing the 0.5 GiB every model must leave free would
 * take a half-million-token document and minutes of attention; this model is the demo AV (hidden
 * 16, 2 blocks, its tokenizer and vocabulary) with a feed-forward width of 2048, about 30 KB per
 * token, 16 KB of it the gate/up product alone. The long document's forward runs to its last
 * sampled position, 54,435 tokens here (checked below): a 0.83 GiB product.
 *
 * <p>The memory: the hog leaves {@link #LEAVE} free. The start takes cuBLAS's 32 MiB workspace and
 * checks that the weights (5 MiB) and 512 MiB are free (so the rest of the start may take up to
 * about 150 MiB), sets 70 MiB aside for the weights, and the first chunk's steps (at most 4096
 * tokens, 0.12 GiB) fit in the first 256 MiB of workspace: about 340 MiB stay free, against the
 * 0.83 GiB the second chunk asks for.
 */
@Tag("gpu")
// Its command needs the whole runtime (DuckDB, Arrow), which scripts/test-gpu.sh checks for.
@Tag("gpu-end-to-end")
class DeviceMemoryGpuTest {
  static final long MIB = 1L << 20;

  /** Free memory the hog leaves. */
  static final long LEAVE = 700 * MIB;

  static final int FF = 2048;
  static final int SHORT_DOCS = 256;
  static final int MAX_LENGTH = 57344;

  /** The long document's step (it is cut after its last sampled position) is at least this. */
  static final int MIN_LONG_STEP = 32768;

  static final String[] WORDS = {
    "river", "stone", "lantern", "harbor", "winter", "orchard", "violin", "market", "garden",
    "signal", "copper", "meadow", "thunder", "pocket", "silver", "bridge", "candle", "forest",
    "mirror", "island", "ladder", "velvet", "compass", "glacier", "kettle", "meadow", "ribbon"
  };

  @TempDir Path tmp;

  @Test
  void anOutOfMemoryMidRunKeepsTheDoneChunksAndARerunEndsWithTheSameFile() throws IOException {
    DemoKit.Paths demo = DemoKit.materialise(tmp.resolve("demo"));
    Path model = wideAv(demo.av(), tmp.resolve("wide-av"));
    Path corpus = corpus(tmp.resolve("corpus.jsonl"));
    int longStep = longDocumentStep(model, corpus);
    System.out.printf(
        Locale.ROOT,
        "the long document's step: %d tokens (%.2f GiB of feed-forward product)%n",
        longStep,
        16.0 * FF / 2 * longStep / (1L << 30));
    assertTrue(
        longStep >= MIN_LONG_STEP,
        "the long document is cut after its last sampled position, here "
            + longStep
            + " tokens: too short to outgrow the first chunk's memory");
    DemoKit.Paths kit = new DemoKit.Paths(model, demo.ar(), corpus);

    Path ref = tmp.resolve("ref.parquet");
    CliRun r = CliRun.run(args(kit, ref));
    assertEquals(0, r.code(), r.err());

    Path out = tmp.resolve("out.parquet");
    GpuMemoryHog hog = GpuMemoryHog.leaving(LEAVE);
    CliRun failed;
    try {
      System.out.printf(
          Locale.ROOT,
          "GPU 0: %d MiB free before the hog, %d MiB taken, %d MiB left free%n",
          hog.freeBefore() / MIB,
          hog.taken() / MIB,
          hog.freeNow() / MIB);
      failed = CliRun.run(args(kit, out));
      System.out.printf(
          Locale.ROOT, "after the run: %d MiB free (the hog still holding)%n", hog.freeNow() / MIB);
    } finally {
      hog.close();
    }
    System.out.println("exit " + failed.code() + ", stderr: " + failed.err().strip());
    assertEquals(2, failed.code(), failed.err());
    List<String> lines = failed.err().strip().lines().toList();
    assertEquals(1, lines.size(), failed.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("nla: GPU out of memory"), line);
    assertTrue(
        line.endsWith(
            "; the chunk before it is kept: rerun the same command to resume (a smaller"
                + " --batch needs less memory)"),
        line);

    Path work = Path.of(out + ".partial");
    assertFalse(Files.exists(out));
    assertTrue(Files.exists(work.resolve("chunk-000000.done")), "chunk 0 is done");
    assertFalse(Files.exists(work.resolve("chunk-000001.done")));
    List<ActivationRow> expected = ActivationParquet.read(ref);
    Path part = work.resolve(Extractor.outputName(1) + "-000000.parquet");
    List<ActivationRow> kept = ActivationParquet.read(part);
    assertEquals(SHORT_DOCS * 4, kept.size(), "4 positions of each short document");
    assertRowsEqual(expected.subList(0, kept.size()), kept);

    CliRun resumed = CliRun.run(args(kit, out));
    assertEquals(0, resumed.code(), resumed.err());
    assertFalse(Files.exists(work));
    List<ActivationRow> actual = ActivationParquet.read(out);
    assertEquals(SHORT_DOCS * 4 + 4, expected.size());
    assertRowsEqual(expected, actual);
  }

  /** Same device, same chunking: every row exactly as the uninterrupted run wrote it. */
  static void assertRowsEqual(List<ActivationRow> expected, List<ActivationRow> actual) {
    assertEquals(expected.size(), actual.size(), "rows");
    for (int i = 0; i < expected.size(); i++) {
      ActivationRow a = expected.get(i);
      ActivationRow b = actual.get(i);
      String where = "row " + i + " (" + a.docId() + ")";
      assertEquals(a.docId(), b.docId(), where);
      assertEquals(a.nRawTokens(), b.nRawTokens(), where);
      assertEquals(a.activationLayer(), b.activationLayer(), where);
      assertEquals(a.detokenizedTextTruncated(), b.detokenizedTextTruncated(), where);
      assertArrayEquals(a.activationVector(), b.activationVector(), where);
    }
  }

  static String[] args(DemoKit.Paths kit, Path out) {
    List<String> line = new ArrayList<>(List.of("--device", "cuda"));
    line.addAll(List.of(DemoCommand.extractCorpus(kit, 1, out)));
    line.addAll(
        List.of(
            "--max-length",
            Integer.toString(MAX_LENGTH),
            "--chunk-docs",
            Integer.toString(SHORT_DOCS),
            "--batch",
            "256"));
    return line.toArray(String[]::new);
  }

  /**
   * The demo AV's shape, tokenizer and vocabulary with a feed-forward width of {@link #FF} (random
   * weights, tied embeddings).
   */
  static Path wideAv(Path demoAv, Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(demoAv.resolve(f), dir.resolve(f));
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(demoAv.resolve("config.json").toFile());
    config.put("intermediate_size", FF);
    config.put("tie_word_embeddings", true);
    json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
    int hidden = config.get("hidden_size").asInt();
    int heads = config.get("num_attention_heads").asInt();
    TinyModels.weights(
            new TinyModels.Shape(
                hidden, heads, config.get("num_key_value_heads").asInt(), hidden / heads, FF),
            TinyModels.Kind.QWEN2,
            config.get("num_hidden_layers").asInt(),
            config.get("vocab_size").asInt(),
            DType.BF16,
            20261206)
        .write(dir.resolve("model.safetensors"));
    return dir;
  }

  /**
   * {@link #SHORT_DOCS} documents of about 90 tokens (chunk 0), then one longer than {@link
   * #MAX_LENGTH} tokens (chunk 1).
   */
  static Path corpus(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = new ArrayList<>();
    for (int d = 0; d < SHORT_DOCS; d++) {
      lines.add(json.writeValueAsString(java.util.Map.of("text", words(d, 80))));
    }
    lines.add(
        json.writeValueAsString(java.util.Map.of("text", words(SHORT_DOCS, MAX_LENGTH + 8192))));
    Files.write(file, lines);
    return file;
  }

  /** {@code n} words in sentences of eight, varied by {@code seed}. */
  static String words(int seed, int n) {
    List<String> w = new ArrayList<>(List.of(WORDS));
    Collections.shuffle(w, new java.util.Random(seed));
    StringBuilder sb = new StringBuilder("Note " + seed + ".");
    for (int i = 0; i < n; i++) {
      sb.append(' ').append(w.get((i * 7 + i / w.size()) % w.size()));
      if (i % 8 == 7) sb.append('.');
    }
    return sb.toString();
  }

  /** The tokens the long document's forward runs: up to its last sampled position. */
  static int longDocumentStep(Path model, Path corpus) throws IOException {
    Tokenizer tokenizer = Tokenizer.load(model);
    String text =
        new ObjectMapper().readTree(Files.readAllLines(corpus).getLast()).get("text").asText();
    int[] ids = Extractor.tokenize(tokenizer, text, MAX_LENGTH);
    List<Integer> positions =
        new PositionSampler(42, 4)
            .sample("demo:train:" + SHORT_DOCS, ids, Extractor.referenceSpecialIds(tokenizer));
    return Collections.max(positions) + 1;
  }
}
