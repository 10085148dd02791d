package nla.cli;

import static nla.Bf16Agreement.Kind.COS;
import static nla.Bf16Agreement.Kind.EXACT;
import static nla.Bf16Agreement.Kind.FVE;
import static nla.Bf16Agreement.Kind.MSE_NRM;
import static nla.Bf16Agreement.Kind.NORM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nla.Bf16Agreement;
import nla.data.ActivationParquet;
import nla.data.ActivationRow;
import nla.io.Npy;
import nla.study.DemoKit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code extract-corpus}, {@code roundtrip} and {@code lens} on the bundled demo pair, each run
 * once with {@code --device cpu} and once with {@code --device cuda} on the same inputs: the same
 * rows, tokens and explanations, and every vector and metric within the bf16 bound of {@link
 * Bf16Agreement}.
 */
@Tag("gpu")
// Its commands need the whole runtime (DuckDB, Arrow, the charts), which scripts/test-gpu.sh checks
// for.
@Tag("gpu-end-to-end")
class CommandsGpuTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TEXT =
      "The lighthouse keeper climbed the spiral stairs each evening at dusk.";

  /** roundtrip's and lens's numeric fields. */
  static final Map<String, Bf16Agreement.Kind> KINDS =
      Map.ofEntries(
          Map.entry("mse_nrm", MSE_NRM),
          Map.entry("cos", COS),
          Map.entry("fve_nrm", FVE),
          Map.entry("mean_fve_nrm", FVE),
          Map.entry("mean_cos", COS),
          Map.entry("mean_mse_nrm", MSE_NRM),
          // FVE is about −1 on the demo pair, far from the threshold
          Map.entry("fraction_fve_above_0_5", EXACT),
          // the eval set's var_nrm, an input
          Map.entry("var_nrm", EXACT),
          // the lens's ||v||: the base model's activation, on the device
          Map.entry("norm", NORM));

  @TempDir static Path tmp;
  static DemoKit.Paths kit;
  static Path cpuActivations;

  @BeforeAll
  static void unpackTheDemo() {
    kit = DemoKit.materialise(tmp.resolve("demo"));
    cpuActivations = tmp.resolve("cpu.parquet");
    ok(extractCorpus("cpu", cpuActivations));
  }

  static String[] extractCorpus(String device, Path out) {
    List<String> line = new ArrayList<>(List.of("--device", device));
    line.addAll(List.of(DemoCommand.extractCorpus(kit, 1, out)));
    return line.toArray(String[]::new);
  }

  static CliRun ok(String... args) {
    CliRun r = CliRun.run(args);
    assertEquals(0, r.code(), "nla " + String.join(" ", args) + ": " + r.err());
    return r;
  }

  /**
   * A comparison with the demo pair's mse_scale (√16 = 4) and width, and FVE's denominator {@code
   * varNrm}.
   */
  static Bf16Agreement.Comparison comparison(double varNrm) {
    return new Bf16Agreement.Comparison(KINDS, 4.0, 16, varNrm);
  }

  @Test
  void extractCorpusGivesTheCpusRowsAndVectors() {
    Path gpuActivations = tmp.resolve("gpu.parquet");
    ok(extractCorpus("cuda", gpuActivations));
    List<ActivationRow> cpu = ActivationParquet.read(cpuActivations);
    List<ActivationRow> gpu = ActivationParquet.read(gpuActivations);
    assertEquals(cpu.size(), gpu.size(), "rows");
    assertTrue(cpu.size() >= 100, cpu.size() + " rows");
    // Held to the vector bound; on the demo pair (its blocks write nothing: o_proj = down_proj =
    // 0) the layer-1 output is the token's bf16 embedding row on both devices, so the worst
    // printed below should be 0.
    Bf16Agreement.Comparison c = comparison(1);
    for (int i = 0; i < cpu.size(); i++) {
      ActivationRow a = cpu.get(i);
      ActivationRow b = gpu.get(i);
      String where = "row " + i + " (" + a.docId() + ")";
      assertEquals(a.docId(), b.docId(), where);
      assertEquals(a.nRawTokens(), b.nRawTokens(), where);
      assertEquals(a.activationLayer(), b.activationLayer(), where);
      assertEquals(a.detokenizedTextTruncated(), b.detokenizedTextTruncated(), where);
      c.vector(a.activationVector(), b.activationVector(), where);
    }
    assertEquals(cpu.size(), c.compared(Bf16Agreement.Kind.VECTOR));
    System.out.println("extract-corpus, GPU against CPU: " + c.summary());
  }

  @Test
  void roundtripGivesTheCpusExplanationsAndScoresWithinTheBound() throws IOException {
    Path eval = tmp.resolve("eval.parquet");
    ok(
        "eval-set",
        "--from",
        cpuActivations.toString(),
        "--n",
        "8",
        "--seed",
        "42",
        "--out",
        eval.toString());
    Path cpu = roundtrip("cpu", eval, tmp.resolve("roundtrip-cpu"));
    Path gpu = roundtrip("cuda", eval, tmp.resolve("roundtrip-gpu"));
    JsonNode summary = JSON.readTree(cpu.resolve("summary.json").toFile());
    Bf16Agreement.Comparison c = comparison(summary.get("var_nrm").asDouble());
    c.json(summary, JSON.readTree(gpu.resolve("summary.json").toFile()), "summary.json");
    int items = 0;
    for (String journal : new String[] {"items.jsonl", "verbalizations.jsonl"}) {
      List<String> a = Files.readAllLines(cpu.resolve(journal));
      List<String> b = Files.readAllLines(gpu.resolve(journal));
      assertEquals(a.size(), b.size(), journal);
      for (int i = 0; i < a.size(); i++)
        c.json(JSON.readTree(a.get(i)), JSON.readTree(b.get(i)), journal + ":" + (i + 1));
      items += a.size();
    }
    float[][] cpuPredictions = Npy.read(cpu.resolve("predictions.npy"));
    float[][] gpuPredictions = Npy.read(gpu.resolve("predictions.npy"));
    assertEquals(cpuPredictions.length, gpuPredictions.length);
    for (int i = 0; i < cpuPredictions.length; i++)
      c.vector(cpuPredictions[i], gpuPredictions[i], "predictions.npy row " + i);
    System.out.println("roundtrip, GPU against CPU: " + c.summary());
    assertEquals(16, items, "8 items and 8 verbalizations");
    assertEquals(8, c.compared(Bf16Agreement.Kind.VECTOR), c.summary());
    assertTrue(c.compared(COS) >= 8 && c.compared(FVE) >= 8, c.summary());
  }

  @Test
  void demoOnTheGpuRunsEveryStepThereAndAgreesWithTheCpuDemo() throws IOException {
    Path cpu = tmp.resolve("demo-cpu");
    Path gpu = tmp.resolve("demo-gpu");
    ok("--device", "cpu", "demo", "--out", cpu.toString(), "--rows", "8");
    CliRun r = ok("--device", "cuda", "demo", "--out", gpu.toString(), "--rows", "8");
    for (String step : new String[] {"extract-corpus", "eval-set", "study all"})
      assertTrue(r.out().contains("$ nla --device cuda:0 " + step + " "), r.out());
    JsonNode sessions = JSON.readTree(gpu.resolve("run/manifest.json").toFile()).get("sessions");
    assertTrue(sessions.size() >= 5, sessions.toString());
    for (JsonNode session : sessions)
      assertTrue(session.get("device").asText().startsWith("cuda:"), session.toString());
    JsonNode a = JSON.readTree(cpu.resolve("run/results.json").toFile()).get("studies");
    JsonNode b = JSON.readTree(gpu.resolve("run/results.json").toFile()).get("studies");
    assertEquals(8, a.get("eval").get("n").asInt());
    Bf16Agreement.Comparison c =
        new Bf16Agreement.Comparison(
            StudiesGpuTest.KINDS, 4.0, 16, a.get("eval").get("var_nrm_eval").asDouble());
    c.json(a, b, "demo results.json");
    System.out.println("demo, GPU against CPU: " + c.summary());
    assertTrue(c.compared(FVE) >= 5, c.summary());
  }

  static Path roundtrip(String device, Path vectors, Path out) {
    ok(
        "--device",
        device,
        "roundtrip",
        "--av",
        kit.av().toString(),
        "--ar",
        kit.ar().toString(),
        "--vectors",
        vectors.toString(),
        "--out",
        out.toString());
    return out;
  }

  @Test
  void lensGivesTheCpusReadingsWithinTheBound() {
    List<JsonNode> cpu = lens("cpu");
    List<JsonNode> gpu = lens("cuda");
    assertEquals(cpu.size(), gpu.size(), "positions");
    assertTrue(cpu.size() >= 10, cpu.size() + " positions");
    // The lens's FVE divides by var_nrm of this text's positions: mse_nrm / (1 − fve_nrm).
    double varNrm = Double.POSITIVE_INFINITY;
    for (JsonNode p : cpu)
      varNrm = Math.min(varNrm, p.get("mse_nrm").asDouble() / (1 - p.get("fve_nrm").asDouble()));
    Bf16Agreement.Comparison c = comparison(varNrm);
    for (int i = 0; i < cpu.size(); i++) c.json(cpu.get(i), gpu.get(i), "lens position " + i);
    System.out.println("lens, GPU against CPU: " + c.summary());
    assertEquals(cpu.size(), c.compared(COS), c.summary());
    assertEquals(cpu.size(), c.compared(NORM), c.summary());
  }

  /** {@code nla lens --json} on the demo pair (its AV as the base), every position. */
  static List<JsonNode> lens(String device) {
    CliRun r =
        ok(
            "--device",
            device,
            "lens",
            "--base",
            kit.av().toString(),
            "--av",
            kit.av().toString(),
            "--ar",
            kit.ar().toString(),
            "--text",
            TEXT,
            "--json");
    List<JsonNode> lines = new ArrayList<>();
    for (String line : r.out().split("\n")) {
      if (line.isBlank()) continue;
      try {
        lines.add(JSON.readTree(line));
      } catch (IOException e) {
        throw new AssertionError(line, e);
      }
    }
    return lines;
  }
}
