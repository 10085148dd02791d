package nla.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.data.Corpus;
import nla.data.CrossModelAligner;
import nla.data.ExtractionJob;
import nla.data.ExtractionStats;
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

  @Mixin CorpusExtractionFlags c;

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

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
  Path out;

  @Override
  public Integer call() throws IOException {
    Path dirA = ModelPaths.resolve(modelA);
    Path dirB = ModelPaths.resolve(modelB);
    String nameA = dirA.toAbsolutePath().normalize().getFileName().toString();
    String nameB = dirB.toAbsolutePath().normalize().getFileName().toString();
    try (Corpus corpus = Corpus.open(c.corpusPath, c.textField);
        LanguageModel a = LanguageModel.load(dirA, c.threads());
        LanguageModel b = LanguageModel.load(dirB, c.threads())) {
      long len = Corpus.checkSlice(corpus, c.start, c.length);
      Map<String, ExtractionJob.Output> outputs = new LinkedHashMap<>();
      addOutputs(outputs, "A", nameA, a, layersA, len);
      addOutputs(outputs, "B", nameB, b, layersB, len);
      Path report = out.resolve("alignment.jsonl");
      Map<String, Object> description = new LinkedHashMap<>();
      description.put("model_a", dirA.toAbsolutePath().normalize().toString());
      description.put("model_b", dirB.toAbsolutePath().normalize().toString());
      description.put("checkpoint_a", CheckpointFingerprint.of(dirA));
      description.put("checkpoint_b", CheckpointFingerprint.of(dirB));
      description.put("layers_a", layersA);
      description.put("layers_b", layersB);
      c.describeCorpus(description);
      c.describeSampling(description);
      if (Files.exists(report) && !Files.exists(out.resolve(".partial"))) {
        throw new UserError(report + " already exists; remove " + out + " to align again");
      }
      Files.createDirectories(out);
      ExtractionJob job =
          new ExtractionJob(
              out.resolve(".partial"), outputs, report, description, c.start, len, c.chunkDocs);
      CrossModelAligner aligner =
          new CrossModelAligner(
              new CrossModelAligner.Side(a, Tokenizer.load(dirA), ints(layersA)),
              new CrossModelAligner.Side(b, Tokenizer.load(dirB), ints(layersB)),
              c.sampler(),
              c.maxLength,
              c.batch,
              c.corpusName,
              c.split);
      ExtractionStats stats = job.run(corpus, aligner::extract, Progress.onTerminal("align"));
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
              c.sidecar(name, d, k, len, "nla align")));
    }
  }

  private static int[] ints(List<Integer> list) {
    return list.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The mean per-row alignment error of a report. */
  public static double meanError(Path report) {
    return CrossModelAligner.meanErrorChars(CrossModelAligner.readReport(report));
  }
}
