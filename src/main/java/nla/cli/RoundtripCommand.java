package nla.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.core.ActivationReconstructor;
import nla.core.ActivationVerbalizer;
import nla.core.Metrics;
import nla.core.RoundTrip;
import nla.io.AtomicFiles;
import nla.io.ModelPaths;
import nla.io.Npy;
import nla.io.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla roundtrip}: verbalize, reconstruct, score. */
@Command(
    name = "roundtrip",
    mixinStandardHelpOptions = true,
    description = {
      "Verbalize vectors with the AV, reconstruct them from the explanations with the AR, and score:"
          + " mse_nrm, cos and fve_nrm = 1 - mse_nrm / var_nrm per item.",
      "Writes RUN_DIR/verbalizations.jsonl (as soon as the AV is done), items.jsonl, predictions.npy and"
          + " summary.json; prints a summary.",
      "The FVE denominator var_nrm comes from --baseline (a vector file or a number) or, by default, from the"
          + " input vectors themselves; the summary says which."
    })
final class RoundtripCommand implements Callable<Integer> {
  @Mixin CheckpointFlags.Av av;

  @Mixin CheckpointFlags.Ar ar;

  @Mixin CheckpointFlags.Vectors vectors;

  @Option(
      names = "--baseline",
      paramLabel = "FILE|NUMBER",
      description =
          "FVE denominator: var_nrm of a vector file (.npy/.parquet), or a number such as a training value.")
  String baseline;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "RUN_DIR",
      description = "Directory for the per-item results.")
  Path runDir;

  @Mixin SamplingFlags sampling;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    VectorInput.Selection sel = vectors.read();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (Files.exists(runDir) && !Files.isDirectory(runDir))
      throw new UserError("--out: " + runDir + " is a file; give a directory for the results");
    Files.createDirectories(runDir);
    try (ActivationVerbalizer verbalizer =
            ActivationVerbalizer.open(
                ModelPaths.resolve(av.dir), sampling.chatTemplateVariables());
        ActivationReconstructor reconstructor =
            ActivationReconstructor.open(ModelPaths.resolve(ar.dir))) {
      VectorInput.requireWidth(sel, verbalizer.dModel(), "AV");
      if (sampling.batchSize != null) {
        verbalizer.withBatchSize(sampling.batchSize);
        reconstructor.withBatchSize(sampling.batchSize);
      }
      Metrics.Denominator denominator =
          baselineDenominator(baseline, reconstructor.mseNorm(), reconstructor.dModel());
      var options =
          sampling
              .options(sel.rows())
              .withRowErrors(
                  e -> {
                    err.println("nla: --vectors: row " + e.row() + ": " + e.message());
                    err.flush();
                  });
      RoundTrip.Result result =
          RoundTrip.run(
              verbalizer,
              reconstructor,
              sel.vectors(),
              options,
              denominator,
              sel.name(),
              this::writeDecodes);
      write(result);
      printSummary(out, result.summary());
      out.printf(
          "%-22s %d AV + %d AR prompt tokens (shared prefixes computed once per batch)%n",
          "prefill reused", verbalizer.prefillTokensSaved(), reconstructor.prefillTokensSaved());
      return result.rowErrors().isEmpty() ? 0 : Main.EXIT_USER_ERROR;
    }
  }

  /**
   * The FVE denominator of a {@code --baseline}: a number as given, or var_nrm of a vector file of
   * the AR's width (scaled by its {@code mseNorm}); null without the flag.
   */
  static Metrics.Denominator baselineDenominator(String baseline, Double mseNorm, int dModel) {
    if (baseline == null) return null;
    try {
      return Metrics.Denominator.given(Double.parseDouble(baseline));
    } catch (UserError notPositive) {
      throw new UserError("--baseline: " + notPositive.getMessage(), notPositive);
    } catch (NumberFormatException notANumber) {
      Path file = Path.of(baseline);
      if (!Files.isRegularFile(file)) {
        throw new UserError("--baseline: " + baseline + " is neither a number nor a vector file");
      }
      VectorInput.Selection ref = VectorInput.read(file, null);
      if (ref.vectors().get(0).length != dModel) {
        throw new UserError(
            "--baseline: "
                + file
                + " has width "
                + ref.vectors().get(0).length
                + ", d_model is "
                + dModel);
      }
      return Metrics.Denominator.ofVectorSet(ref.vectors(), mseNorm, ref.name());
    }
  }

  /** The AV's decodes, written before the AR runs so that nothing computed is lost. */
  private void writeDecodes(java.util.List<nla.core.Verbalization> decodes) {
    StringBuilder sb = new StringBuilder();
    for (var v : decodes) sb.append(Json.line(VerbalizeCommand.toJson(v))).append('\n');
    try {
      AtomicFiles.writeString(runDir.resolve("verbalizations.jsonl"), sb);
    } catch (IOException e) {
      throw new UserError(
          "--out: cannot write " + runDir.resolve("verbalizations.jsonl") + ": " + e.getMessage(),
          e);
    }
  }

  private void write(RoundTrip.Result result) throws IOException {
    StringBuilder items = new StringBuilder();
    for (RoundTrip.Item it : result.items()) {
      Map<String, Object> m = VerbalizeCommand.toJson(it.verbalization());
      m.put("missing_tag", it.verbalization().missingTag());
      m.put("ar_input", it.arInput());
      m.put("mse_nrm", Json.num(it.score().mseNrm()));
      m.put("cos", Json.num(it.score().cos()));
      m.put("fve_nrm", Json.num(it.score().fveNrm()));
      items.append(Json.line(m)).append('\n');
    }
    AtomicFiles.writeString(runDir.resolve("items.jsonl"), items);
    float[][] preds =
        result.items().stream().map(RoundTrip.Item::prediction).toArray(float[][]::new);
    if (preds.length > 0) Npy.write(runDir.resolve("predictions.npy"), preds);
    AtomicFiles.writeString(
        runDir.resolve("summary.json"), Json.line(summaryJson(result.summary())) + "\n");
  }

  static Map<String, Object> summaryJson(RoundTrip.Summary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("items", s.items());
    m.put("row_errors", s.rowErrors());
    m.put("mean_fve_nrm", Json.num(s.meanFve()));
    m.put("mean_cos", Json.num(s.meanCos()));
    m.put("mean_mse_nrm", Json.num(s.meanMse()));
    m.put("fraction_fve_above_0_5", Json.num(s.fractionFveAbove05()));
    m.put("missing_tags", s.missingTags());
    m.put("var_nrm", s.denominator().varNrm());
    m.put("denominator_origin", s.denominator().origin());
    return m;
  }

  private void printSummary(PrintWriter out, RoundTrip.Summary s) {
    out.printf("%-22s %d%n", "items", s.items());
    out.printf("%-22s %.4f%n", "mean FVE (fve_nrm)", s.meanFve());
    out.printf("%-22s %.4f%n", "mean cos", s.meanCos());
    out.printf("%-22s %.4f%n", "mean mse_nrm", s.meanMse());
    out.printf("%-22s %.3f%n", "fraction FVE > 0.5", s.fractionFveAbove05());
    out.printf("%-22s %d%n", "missing tags", s.missingTags());
    if (s.rowErrors() > 0) out.printf("%-22s %d%n", "unusable rows", s.rowErrors());
    out.printf(
        "%-22s %.6f  (%s)%n",
        "FVE denominator", s.denominator().varNrm(), s.denominator().origin());
    out.printf("%-22s %s%n", "results", runDir);
    out.flush();
  }
}
