package nla.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.data.Corpus;
import nla.data.DatasetSidecar;
import nla.data.ExtractionJob;
import nla.data.ExtractionStats;
import nla.data.Extractor;
import nla.data.PositionSampler;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla extract-corpus}: a base model's activations over a corpus slice, as §6 parquet. */
@Command(
    name = "extract-corpus",
    mixinStandardHelpOptions = true,
    description = {
      "Extract block-K activations at sampled positions of every document of a corpus slice,"
          + " exactly as the reference's stage 0 (contract §6), into parquet plus sidecar.",
      "Resumable: an interrupted run (even kill -9) continues where it stopped when rerun with"
          + " the same flags, and ends with the same file."
    })
public final class ExtractCorpusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model.")
  String model;

  @Option(
      names = "--base-model",
      paramLabel = "NAME",
      description =
          "Model name recorded in the sidecar and dataset id (default: the model folder's name).")
  String baseModel;

  @Option(
      names = "--corpus",
      required = true,
      paramLabel = "FILE|DIR",
      description = ".jsonl[.gz], .parquet, or a folder of .parquet shards or .txt files.")
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
      description = "Corpus name in doc_id = NAME:SPLIT:INDEX and in the sidecar.")
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
      names = "--layer",
      required = true,
      paramLabel = "K",
      description = "Block K (output of block K = HF hidden_states[K+1]); repeat for several.")
  List<Integer> layers;

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

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE.parquet|DIR",
      description = "Output parquet; a folder (one L{K}.parquet per layer) with several --layer.")
  Path out;

  @Override
  public Integer call() {
    if (positionsPerDoc < 1) throw new UserError("--positions-per-doc must be >= 1");
    if (layers.stream().distinct().count() != layers.size())
      throw new UserError("--layer repeated");
    Path modelDir = ModelPaths.resolve(model);
    String name =
        baseModel != null
            ? baseModel
            : modelDir.toAbsolutePath().normalize().getFileName().toString();
    try (Corpus corpus = Corpus.open(corpusPath, textField);
        LanguageModel lm = LanguageModel.load(modelDir, threads())) {
      long len = Corpus.checkSlice(corpus, start, length);
      int d = lm.config().hiddenSize();
      for (int k : layers) {
        if (k < 0 || k >= lm.config().numLayers()) {
          throw new UserError(
              "--layer "
                  + k
                  + " out of range: the model has blocks 0.."
                  + (lm.config().numLayers() - 1));
        }
      }
      Tokenizer tokenizer = Tokenizer.load(modelDir);
      Map<String, ExtractionJob.Output> outputs = new LinkedHashMap<>();
      boolean single = layers.size() == 1;
      for (int k : layers) {
        Path file = single ? out : out.resolve("L" + k + ".parquet");
        outputs.put(
            Extractor.outputName(k),
            new ExtractionJob.Output(
                file,
                d,
                new DatasetSidecar(
                    DatasetSidecar.datasetId(name, k, corpusName, start, len),
                    "base",
                    0,
                    new DatasetSidecar.Extraction(
                        name, d, k, "none", corpusName, start, len, positionsPerDoc),
                    List.of(),
                    "",
                    "nla extract-corpus")));
      }
      Path workDir = single ? Path.of(out + ".partial") : out.resolve(".partial");
      Map<String, Object> description = new LinkedHashMap<>();
      description.put("model", modelDir.toAbsolutePath().normalize().toString());
      description.put("base_model", name);
      description.put("corpus", corpusPath.toAbsolutePath().normalize().toString());
      description.put("text_field", textField);
      description.put("corpus_name", corpusName);
      description.put("split", split);
      description.put("layers", layers);
      description.put("positions_per_doc", positionsPerDoc);
      description.put("seed", seed);
      description.put("max_length", maxLength);
      ExtractionJob job =
          new ExtractionJob(workDir, outputs, null, description, start, len, chunkDocs);
      Extractor extractor =
          new Extractor(
              lm,
              tokenizer,
              layers.stream().mapToInt(Integer::intValue).toArray(),
              new PositionSampler(seed, positionsPerDoc),
              maxLength,
              batch,
              corpusName,
              split);
      ExtractionStats stats =
          job.run(corpus, extractor::extract, TerminalProgress.forTerminal("extract"));
      var o = spec.commandLine().getOut();
      for (ExtractionJob.Output output : outputs.values()) {
        o.printf(
            "wrote %d rows -> %s (+ %s)%n",
            stats.rows(), output.file(), DatasetSidecar.pathFor(output.file()).getFileName());
      }
      o.println(stats.summary());
      o.flush();
    }
    return 0;
  }

  private int threads() {
    if (threads != null && threads < 1) throw new UserError("--threads must be >= 1");
    return threads != null ? threads : Runtime.getRuntime().availableProcessors();
  }
}
