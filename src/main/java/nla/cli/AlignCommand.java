package nla.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.data.Corpus;
import nla.data.CrossModelAligner;
import nla.data.DatasetSidecar;
import nla.data.ExtractionJob;
import nla.data.ExtractionStats;
import nla.data.PositionSampler;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla align}: two base models' activations at the same character positions. */
@Command(
    name = "align",
    mixinStandardHelpOptions = true,
    description = {
      "Extract two base models' activations over the same documents at aligned positions.",
      "Positions are sampled in model A (contract §6), and each is mapped to the model-B"
          + " token whose end offset (in characters) is nearest. Writes OUT/A-L{K}.parquet,"
          + " OUT/B-L{K}.parquet (row i of A pairs with row i of B) and OUT/alignment.jsonl"
          + " (per-row error in characters); prints the mean error. Resumable like"
          + " extract-corpus."
    })
public final class AlignCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--model-a",
      required = true,
      paramLabel = "DIR",
      description = "Model A (positions are sampled in its tokens).")
  String modelA;

  @Option(names = "--model-b", required = true, paramLabel = "DIR", description = "Model B.")
  String modelB;

  @Option(
      names = "--layer-a",
      required = true,
      paramLabel = "K",
      description = "Block of model A; repeatable.")
  List<Integer> layersA;

  @Option(
      names = "--layer-b",
      required = true,
      paramLabel = "K",
      description = "Block of model B; repeatable.")
  List<Integer> layersB;

  @Option(
      names = "--corpus",
      required = true,
      paramLabel = "FILE|DIR",
      description = "As extract-corpus.")
  Path corpusPath;

  @Option(
      names = "--text-field",
      defaultValue = "text",
      paramLabel = "NAME",
      description = "JSONL field or Parquet column holding the text. Default: text.")
  String textField;

  @Option(
      names = "--corpus-name",
      required = true,
      paramLabel = "NAME",
      description = "For doc_id.")
  String corpusName;

  @Option(
      names = "--split",
      defaultValue = "train",
      paramLabel = "NAME",
      description =
          "Split name in doc_id and the sidecar (the corpus is read as given). Default: train.")
  String split;

  @Option(
      names = "--start",
      defaultValue = "0",
      paramLabel = "S",
      description = "First document of the slice (0-based). Default: 0.")
  long start;

  @Option(
      names = "--length",
      paramLabel = "L",
      description = "Documents in the slice (default: to the end).")
  Long length;

  @Option(
      names = "--positions-per-doc",
      defaultValue = "10",
      paramLabel = "N",
      description = "Positions sampled per document. Default: 10.")
  int positionsPerDoc;

  @Option(
      names = "--seed",
      defaultValue = "42",
      paramLabel = "S",
      description = "Position-sampling seed. Default: 42.")
  long seed;

  @Option(
      names = "--max-length",
      defaultValue = "2048",
      paramLabel = "M",
      description = "Tokens kept per document (longer ones are truncated). Default: 2048.")
  int maxLength;

  @Option(
      names = "--chunk-docs",
      defaultValue = "256",
      paramLabel = "N",
      description = "Documents per resumable chunk. Default: 256.")
  int chunkDocs;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Compute threads (default: all processors).")
  Integer threads;

  @Option(
      names = "--batch",
      defaultValue = "4",
      paramLabel = "N",
      description = "Documents per forward. Default: 4.")
  int batch;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
  Path out;

  @Override
  public Integer call() throws IOException {
    Path dirA = ModelPaths.resolve(modelA);
    Path dirB = ModelPaths.resolve(modelB);
    String nameA = dirA.toAbsolutePath().normalize().getFileName().toString();
    String nameB = dirB.toAbsolutePath().normalize().getFileName().toString();
    try (Corpus corpus = Corpus.open(corpusPath, textField);
        LanguageModel a = LanguageModel.load(dirA, threads());
        LanguageModel b = LanguageModel.load(dirB, threads())) {
      long len = Corpus.checkSlice(corpus, start, length);
      Map<String, ExtractionJob.Output> outputs = new LinkedHashMap<>();
      addOutputs(outputs, "A", nameA, a, layersA, len);
      addOutputs(outputs, "B", nameB, b, layersB, len);
      Path report = out.resolve("alignment.jsonl");
      Map<String, Object> description = new LinkedHashMap<>();
      description.put("model_a", dirA.toAbsolutePath().normalize().toString());
      description.put("model_b", dirB.toAbsolutePath().normalize().toString());
      description.put("layers_a", layersA);
      description.put("layers_b", layersB);
      description.put("corpus", corpusPath.toAbsolutePath().normalize().toString());
      description.put("text_field", textField);
      description.put("corpus_name", corpusName);
      description.put("split", split);
      description.put("positions_per_doc", positionsPerDoc);
      description.put("seed", seed);
      description.put("max_length", maxLength);
      if (Files.exists(report) && !Files.exists(out.resolve(".partial"))) {
        throw new UserError(report + " already exists; remove " + out + " to align again");
      }
      Files.createDirectories(out);
      ExtractionJob job =
          new ExtractionJob(
              out.resolve(".partial"), outputs, report, description, start, len, chunkDocs);
      CrossModelAligner aligner =
          new CrossModelAligner(
              new CrossModelAligner.Side(a, Tokenizer.load(dirA), ints(layersA)),
              new CrossModelAligner.Side(b, Tokenizer.load(dirB), ints(layersB)),
              new PositionSampler(seed, positionsPerDoc),
              maxLength,
              batch,
              corpusName,
              split);
      ExtractionStats stats =
          job.run(corpus, aligner::extract, TerminalProgress.forTerminal("align"));
      double mean = meanError(report);
      var o = spec.commandLine().getOut();
      for (ExtractionJob.Output output : outputs.values())
        o.printf("wrote %d rows -> %s%n", stats.rows(), output.file());
      o.printf(
          "alignment: %d pairs, mean error %.3f characters -> %s%n", stats.rows(), mean, report);
      o.println(stats.summary());
      o.flush();
    }
    return 0;
  }

  private void addOutputs(
      Map<String, ExtractionJob.Output> outputs,
      String side,
      String name,
      LanguageModel m,
      List<Integer> layers,
      long len) {
    int d = m.config().hiddenSize();
    for (int k : layers) {
      if (k < 0 || k >= m.config().numLayers()) {
        throw new UserError(
            "--layer-"
                + side.toLowerCase()
                + " "
                + k
                + " out of range: blocks 0.."
                + (m.config().numLayers() - 1));
      }
      outputs.put(
          CrossModelAligner.outputName(side, k),
          new ExtractionJob.Output(
              out.resolve(CrossModelAligner.outputName(side, k) + ".parquet"),
              d,
              new DatasetSidecar(
                  DatasetSidecar.datasetId(name, k, corpusName, start, len),
                  "base",
                  0,
                  new DatasetSidecar.Extraction(
                      name, d, k, "none", corpusName, start, len, positionsPerDoc),
                  List.of(),
                  "",
                  "nla align")));
    }
  }

  private static int[] ints(List<Integer> list) {
    return list.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The mean per-row alignment error of a report. */
  public static double meanError(Path report) {
    ObjectMapper json = new ObjectMapper();
    double sum = 0;
    long n = 0;
    try {
      for (String line : Files.readAllLines(report)) {
        if (line.isBlank()) continue;
        JsonNode node = json.readTree(line);
        sum += node.get("error_chars").asDouble();
        n++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return n == 0 ? 0 : sum / n;
  }

  private int threads() {
    if (threads != null && threads < 1) throw new UserError("--threads must be >= 1");
    return threads != null ? threads : Runtime.getRuntime().availableProcessors();
  }
}
