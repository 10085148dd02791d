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
import nla.data.Progress;
import nla.io.CheckpointFingerprint;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin CorpusExtractionFlags c;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model.")
  String model;

  @Option(
      names = "--base-model",
      paramLabel = "NAME",
      description =
          "Model name recorded in the sidecar and dataset id (default: the model folder's name).")
  String baseModel;

  @Option(
      names = "--layer",
      required = true,
      paramLabel = "K",
      description = "Block K (output of block K = HF hidden_states[K+1]); repeat for several.")
  List<Integer> layers;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE.parquet|DIR",
      description = "Output parquet; a folder (one L{K}.parquet per layer) with several --layer.")
  Path out;

  @Override
  public Integer call() {
    if (c.positionsPerDoc < 1) throw new UserError("--positions-per-doc must be >= 1");
    if (layers.stream().distinct().count() != layers.size())
      throw new UserError("--layer repeated");
    Path modelDir = ModelPaths.resolve(model);
    String name =
        baseModel != null
            ? baseModel
            : modelDir.toAbsolutePath().normalize().getFileName().toString();
    try (Corpus corpus = Corpus.open(c.corpusPath, c.textField);
        LanguageModel lm = LanguageModel.load(modelDir, c.threads())) {
      long len = Corpus.checkSlice(corpus, c.start, c.length);
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
            new ExtractionJob.Output(file, d, c.sidecar(name, d, k, len, "nla extract-corpus")));
      }
      Path workDir = single ? Path.of(out + ".partial") : out.resolve(".partial");
      Map<String, Object> description = new LinkedHashMap<>();
      description.put("model", modelDir.toAbsolutePath().normalize().toString());
      description.put("base_model", name);
      // The weights themselves, not just their path: a resume after they changed is refused.
      description.put("checkpoint", CheckpointFingerprint.of(modelDir));
      c.describeCorpus(description);
      description.put("layers", layers);
      c.describeSampling(description);
      ExtractionJob job =
          new ExtractionJob(workDir, outputs, null, description, c.start, len, c.chunkDocs);
      Extractor extractor =
          new Extractor(
              lm,
              tokenizer,
              layers.stream().mapToInt(Integer::intValue).toArray(),
              c.sampler(),
              c.maxLength,
              c.batch,
              c.corpusName,
              c.split);
      ExtractionStats stats = job.run(corpus, extractor::extract, Progress.onTerminal("extract"));
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
}
