package nla.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.core.ActivationReconstructor;
import nla.core.Metrics;
import nla.io.ModelPaths;
import nla.io.Npy;
import nla.io.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla reconstruct}: explanations → vectors with an AR. */
@Command(
    name = "reconstruct",
    mixinStandardHelpOptions = true,
    description = {
      "Reconstruct vectors from explanations with an NLA activation reconstructor (AR).",
      "Writes the raw value-head outputs as float32 [n, d]; with --gold, scores each against its gold vector"
          + " (both scaled to the AR's mse_scale)."
    })
final class ReconstructCommand implements Callable<Integer> {
  @Mixin CheckpointFlags.Ar ar;

  @Option(
      names = "--texts",
      required = true,
      paramLabel = "FILE.jsonl",
      description = "One {\"text\": \"...\"} per line.")
  Path texts;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE.npy",
      description = "Where the predictions go.")
  Path outFile;

  @Option(
      names = "--gold",
      paramLabel = "FILE.npy",
      description = "Gold vectors, one row per text.")
  Path gold;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description = "Texts run together. Default: 16 on the CPU, 256 on a GPU.")
  Integer batchSize;

  @Option(
      names = "--json",
      description = "One JSON object per text: index, prompt_ids, and with --gold mse_nrm and cos.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    List<String> explanations = readTexts(texts);
    // Checked before the AR runs, so a bad --out never costs the computed predictions.
    Args.requireOutputFile(outFile, "--out");
    Args.requireNotAnInput(outFile, "--out", texts, "--texts");
    Args.requireNotAnInput(outFile, "--out", gold, "--gold");
    float[][] goldRows = gold == null ? null : Npy.read(gold);
    if (goldRows != null && goldRows.length != explanations.size()) {
      throw new UserError(
          "--gold: "
              + gold
              + " has "
              + goldRows.length
              + " rows but --texts has "
              + explanations.size()
              + " texts");
    }
    PrintWriter out = spec.commandLine().getOut();
    try (ActivationReconstructor reconstructor =
        ActivationReconstructor.open(ModelPaths.resolve(ar.dir))) {
      if (batchSize != null) reconstructor.withBatchSize(batchSize);
      if (goldRows != null && goldRows.length > 0 && goldRows[0].length != reconstructor.dModel()) {
        throw new UserError(
            "--gold: "
                + gold
                + " has width "
                + goldRows[0].length
                + ", the AR's d_model is "
                + reconstructor.dModel());
      }
      float[][] preds = reconstructor.reconstruct(explanations);
      Npy.write(outFile, preds);
      for (int i = 0; i < preds.length; i++) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", i);
        m.put("prompt_ids", reconstructor.promptIds(explanations.get(i)));
        if (goldRows != null) {
          m.put(
              "mse_nrm", Json.num(Metrics.mseNrm(preds[i], goldRows[i], reconstructor.mseNorm())));
          m.put("cos", Json.num(Metrics.cos(preds[i], goldRows[i])));
        }
        if (json) out.println(Json.line(m));
        else if (goldRows != null)
          out.printf("%d\tmse_nrm %.6f\tcos %.6f%n", i, m.get("mse_nrm"), m.get("cos"));
      }
      if (!json)
        out.println("wrote " + preds.length + " x " + reconstructor.dModel() + " to " + outFile);
    }
    out.flush();
    return 0;
  }

  static List<String> readTexts(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new UserError("--texts: " + file + ": no such file", e);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new UserError("--texts: " + file + ": not UTF-8 text", e);
    } catch (IOException e) {
      throw new UserError("--texts: " + file + ": cannot read: " + e.getMessage(), e);
    }
    ObjectMapper mapper = new ObjectMapper();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) continue;
      JsonNode node;
      try {
        node = mapper.readTree(lines.get(i));
      } catch (IOException e) {
        throw new UserError("--texts: " + file + ": line " + (i + 1) + " is not JSON");
      }
      JsonNode text = node == null ? null : node.get("text");
      if (text == null || !text.isTextual()) {
        throw new UserError(
            "--texts: " + file + ": line " + (i + 1) + " has no string field \"text\"");
      }
      out.add(text.asText());
    }
    if (out.isEmpty())
      throw new UserError(
          "--texts: " + file + ": no texts (expected one {\"text\": ...} per line)");
    return out;
  }
}
