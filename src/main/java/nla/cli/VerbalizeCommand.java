package nla.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.core.ActivationVerbalizer;
import nla.core.RowError;
import nla.core.Verbalization;
import nla.io.ModelPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla verbalize}: vectors → explanations with an AV. */
@Command(
    name = "verbalize",
    mixinStandardHelpOptions = true,
    description = {
      "Verbalize activation vectors with an NLA activation verbalizer (AV).",
      "Each vector is scaled to the sidecar's injection_scale and injected as one token embedding of the"
          + " canonical prompt; the AV writes <explanation>...</explanation>.",
      "A row whose vector is unusable (wrong width, zero, non-finite) is reported on stderr; the others go on"
          + " (exit code 2 if any row failed)."
    })
final class VerbalizeCommand implements Callable<Integer> {
  @Mixin CheckpointFlags.Av av;

  @Mixin CheckpointFlags.Vectors vectors;

  @Option(
      names = "--json",
      description =
          "One JSON object per (row, sample): row, sample, prompt_ids, injection_position, output_ids, text, explanation.")
  boolean json;

  @Mixin SamplingFlags sampling;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    VectorInput.Selection sel = vectors.read();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<RowError> errors = new ArrayList<>();
    try (ActivationVerbalizer verbalizer =
        ActivationVerbalizer.open(ModelPaths.resolve(av.dir), sampling.chatTemplateVariables())) {
      VectorInput.requireWidth(sel, verbalizer.dModel(), "AV");
      if (sampling.batchSize != null) verbalizer.withBatchSize(sampling.batchSize);
      var options =
          sampling
              .options(sel.rows())
              .withRowErrors(
                  e -> {
                    errors.add(e);
                    err.println("nla: --vectors: row " + e.row() + ": " + e.message());
                    err.flush();
                  });
      // Rows go through in chunks and each chunk is printed as soon as it is done, so a long run
      // shows progress and an interruption keeps what was finished.
      int chunk = Math.max(1, verbalizer.batchSize() / Math.max(1, sampling.samples));
      for (int from = 0; from < sel.vectors().size(); from += chunk) {
        int to = Math.min(sel.vectors().size(), from + chunk);
        var part = options.withRowLabels(java.util.Arrays.copyOfRange(sel.rows(), from, to));
        for (Verbalization v : verbalizer.verbalize(sel.vectors().subList(from, to), part)) {
          out.println(json ? Json.line(toJson(v)) : human(v));
        }
        out.flush();
      }
    }
    out.flush();
    return errors.isEmpty() ? 0 : Main.EXIT_USER_ERROR;
  }

  static Map<String, Object> toJson(Verbalization v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("row", v.row());
    m.put("sample", v.sample());
    m.put("prompt_ids", v.promptIds());
    m.put("injection_position", v.injectionPosition());
    m.put("output_ids", v.outputIds());
    m.put("text", v.text());
    m.put("explanation", v.explanation());
    return m;
  }

  private static String human(Verbalization v) {
    String head = "── row " + v.row() + " sample " + v.sample();
    return v.missingTag()
        ? head + " (no <explanation> tags; raw text)\n" + v.text() + "\n"
        : head + "\n" + v.explanation() + "\n";
  }
}
