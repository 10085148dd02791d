package nla.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.core.Metrics;
import nla.core.Sidecar;
import nla.io.AtomicFiles;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.study.lens.Lens;
import nla.study.lens.LensHtml;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla lens}: what each token's activation says. */
@Command(
    name = "lens",
    mixinStandardHelpOptions = true,
    description = {
      "Run the base model on a text (tokenized with special tokens), take the layer-K activation (K from the AV's sidecar) at each chosen"
          + " position, verbalize it with the AV and, with --ar, reconstruct and score it.",
      "Per position: the token, ||v||, the explanation and, with an AR, mse_nrm, cos and fve_nrm (the"
          + " denominator is stated). Known-noisy positions (the first ~10, special tokens, outlier norms)"
          + " are flagged.",
      "Every DIR may also be a Hugging Face repo id (owner/name[@revision])."
    })
final class LensCommand implements Callable<Integer> {
  @Option(
      names = "--base",
      required = true,
      paramLabel = "DIR",
      description = "The base model the NLA reads (e.g. Qwen/Qwen2.5-7B-Instruct).")
  String base;

  @Mixin CheckpointFlags.Av av;

  @Option(names = "--ar", paramLabel = "DIR", description = "AR checkpoint; without it, no scores.")
  String ar;

  @ArgGroup(exclusive = true, multiplicity = "1")
  TextInput.OrChat source;

  @Option(
      names = "--positions",
      paramLabel = "all|last|LIST",
      defaultValue = "all",
      description =
          "Positions to look at: all (default), last, or e.g. 0,4,10-12 (negative counts from the end).")
  String positions;

  @Option(
      names = "--baseline",
      paramLabel = "FILE|NUMBER",
      description =
          "FVE denominator: var_nrm of a vector file (.npy/.parquet) or a number such as the training value"
              + " (default: this text's own vectors past the first 10 positions).")
  String baseline;

  @Option(
      names = "--json",
      description =
          "One JSON object per position: position, token, norm, output_ids, text, explanation, mse_nrm, cos,"
              + " fve_nrm (null without an AR), warnings.")
  boolean json;

  @Option(
      names = "--html",
      paramLabel = "FILE",
      description =
          "Also write a page with each token coloured by its FVE and its explanation on hover/click.")
  Path html;

  @Mixin SamplingFlags sampling;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (sampling.samples != 1) {
      throw new UserError(
          "--samples: the lens shows one decode per position; use roundtrip for more");
    }
    // Checked before the models run: a bad --html path should not cost the whole lens.
    if (html != null) Args.requireOutputFile(html, "--html");
    Args.requireNotAnInput(html, "--html", source.textFile, "--text-file");
    Lens.Source src = source();
    if (src.text().isEmpty()) {
      String flag =
          source.text != null ? "--text" : source.chat() != null ? "--chat" : "--text-file";
      throw new UserError(flag + ": the text is empty: nothing to look at");
    }
    Path baseDir = ModelPaths.resolve(base);
    Path avDir = ModelPaths.resolve(av.dir);
    Path arDir = ar == null ? null : ModelPaths.resolve(ar);
    Lens.Options options =
        new Lens.Options(
            sampling.options(null),
            sampling.chatTemplateVariables(),
            sampling.batchSize(),
            denominator());
    Lens.Result r = Lens.run(baseDir, avDir, arDir, src, positions, options);

    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      for (Lens.Position p : r.positions()) out.println(Json.line(toJson(p)));
    } else {
      printHuman(out, r);
    }
    out.flush();
    if (html != null) {
      AtomicFiles.writeString(html, LensHtml.render(r, "nla lens: " + av.dir));
      spec.commandLine().getErr().println("nla: wrote " + html);
      spec.commandLine().getErr().flush();
    }
    boolean anyUnusable = r.positions().stream().anyMatch(p -> p.decode() == null);
    return anyUnusable ? Main.EXIT_USER_ERROR : 0;
  }

  private Lens.Source source() throws IOException {
    if (source.text != null) return new Lens.Source(source.text, false);
    if (source.chat() != null) return new Lens.Source(source.chat(), true);
    if (!Files.isRegularFile(source.textFile)) {
      throw new UserError("--text-file: " + source.textFile + ": no such file");
    }
    try {
      return new Lens.Source(Files.readString(source.textFile, StandardCharsets.UTF_8), false);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new UserError("--text-file: " + source.textFile + " is not UTF-8 text");
    }
  }

  private Metrics.Denominator denominator() {
    if (baseline == null) return null;
    if (ar == null) throw new UserError("--baseline: only scores need a denominator; give --ar");
    Sidecar arSidecar = Sidecar.load(ModelPaths.resolve(ar));
    return RoundtripCommand.baselineDenominator(baseline, arSidecar.mseNorm(), arSidecar.dModel());
  }

  static Map<String, Object> toJson(Lens.Position p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("position", p.position());
    m.put("token", p.token());
    m.put("norm", Json.num(p.norm()));
    m.put("output_ids", p.decode() == null ? null : p.decode().outputIds());
    m.put("text", p.decode() == null ? null : p.decode().text());
    m.put("explanation", p.decode() == null ? null : p.decode().explanation());
    m.put("mse_nrm", p.score() == null ? null : Json.num(p.score().mseNrm()));
    m.put("cos", p.score() == null ? null : Json.num(p.score().cos()));
    m.put("fve_nrm", p.score() == null ? null : Json.num(p.score().fveNrm()));
    m.put("warnings", p.warnings());
    if (p.error() != null) m.put("error", p.error());
    return m;
  }

  private void printHuman(PrintWriter out, Lens.Result r) {
    out.printf(
        Locale.ROOT,
        "layer %d, %d tokens, median ||v|| %.2f (positions 1..%d)%n",
        r.layer(),
        r.ids().length,
        r.medianNorm(),
        r.ids().length - 1);
    if (r.denominator() != null) {
      out.printf(
          Locale.ROOT,
          "fve_nrm = 1 - mse_nrm / %.6f (%s)%n",
          r.denominator().varNrm(),
          r.denominator().origin());
    } else {
      out.println("no AR: explanations only (give --ar to score them)");
    }
    for (Lens.Position p : r.positions()) {
      out.println();
      StringBuilder head = new StringBuilder();
      head.append(
          String.format(
              Locale.ROOT, "[%d] %s  ||v|| %.2f", p.position(), quote(p.token()), p.norm()));
      if (p.score() != null) {
        head.append(
            String.format(
                Locale.ROOT,
                "  mse_nrm %.4f  cos %.4f  fve_nrm %.4f",
                p.score().mseNrm(),
                p.score().cos(),
                p.score().fveNrm()));
      }
      out.println(head);
      for (String w : p.warnings()) out.println("    ! " + w);
      if (p.decode() == null) {
        out.println("    unusable vector: " + p.error());
      } else if (p.decode().explanation() != null) {
        out.println(indent(p.decode().explanation()));
      } else {
        out.println("    (no <explanation> tags; raw text)");
        out.println(indent(p.decode().text()));
      }
    }
  }

  private static String quote(String token) {
    return "'" + token.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + "'";
  }

  private static String indent(String text) {
    return "    " + text.strip().replace("\n", "\n    ");
  }
}
