package nla.cli;

import static nla.Bf16Agreement.Kind.COS;
import static nla.Bf16Agreement.Kind.EXACT;
import static nla.Bf16Agreement.Kind.FVE;
import static nla.Bf16Agreement.Kind.FVE_DIFFERENCE;
import static nla.Bf16Agreement.Kind.IGNORED;
import static nla.Bf16Agreement.Kind.MSE_NRM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import nla.Bf16Agreement;
import nla.study.DemoKit;
import nla.study.Studies;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every study, run by {@code nla study all} once with {@code --device cpu} and once with {@code
 * --device cuda} on the same inputs and seed (the bundled demo pair; activations extracted once, on
 * the CPU, at its layer 1 and at layer 0 for the layers, cross and ridge studies), agrees: every
 * explanation equal, every metric of every row and every summary within the bf16 bound of {@link
 * Bf16Agreement}; the GPU run's manifest records the GPU.
 */
@Tag("gpu")
// Its commands need the whole runtime (DuckDB, Arrow, the charts), which scripts/test-gpu.sh checks
// for.
@Tag("gpu-end-to-end")
class StudiesGpuTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Every numeric field of the studies' results and journals, and how it compares. */
  static final Map<String, Bf16Agreement.Kind> KINDS =
      Map.ofEntries(
          // per-row scores (every study's scores*.jsonl) and their means and bootstrap intervals
          Map.entry("mse_nrm", MSE_NRM),
          Map.entry("cos", COS),
          Map.entry("fve_nrm", FVE),
          Map.entry("mean_fve", FVE),
          Map.entry("fve_ci_low", FVE),
          Map.entry("fve_ci_high", FVE),
          Map.entry("mean_cos", COS),
          Map.entry("mean_mse_nrm", MSE_NRM),
          // FVE is far below 0.5 on the demo pair (about −1), so no row is near the threshold
          Map.entry("fraction_fve_gt_0_5", EXACT),
          Map.entry("var_nrm_eval", EXACT),
          // quote-ban: substitutes counted in the (equal) explanations
          Map.entry("other-quote-family", EXACT),
          Map.entry("corner-brackets", EXACT),
          Map.entry("italics", EXACT),
          Map.entry("parentheses", EXACT),
          Map.entry("backticks", EXACT),
          Map.entry("any", EXACT),
          // confab: n-gram runs of the explanations against the texts
          Map.entry("median_run", EXACT),
          Map.entry("p90_run", EXACT),
          Map.entry("share_ge_6", EXACT),
          Map.entry("null_median_run", EXACT),
          Map.entry("null_p90_run", EXACT),
          Map.entry("null_share_ge_6", EXACT),
          // redact: spans of the explanations
          Map.entry("mean_span_count", EXACT),
          Map.entry("mean_char_fraction", EXACT),
          // best-of-n
          Map.entry("temperature", EXACT),
          Map.entry("fve_by_n", FVE),
          Map.entry("gain", FVE_DIFFERENCE),
          Map.entry("gain_per_doubling", FVE_DIFFERENCE),
          // layers: the activation sets' own quantities are inputs; the AR's are bf16
          Map.entry("cosToK", EXACT),
          Map.entry("varNrmOwn", EXACT),
          Map.entry("interLayerNmse", EXACT),
          Map.entry("nmse", MSE_NRM),
          Map.entry("fveOwnDenominator", FVE),
          Map.entry("additiveBound", MSE_NRM),
          // cross: the share of the ceiling is a ratio of two cells, checked as that below
          Map.entry("cells.fve", FVE),
          Map.entry("nullFve", FVE),
          Map.entry("shareOfCeiling", IGNORED),
          // ridge: fits on the host from the same activations; the text route is the cross
          // study's FVE; the crossover's n is exponential in it, checked in log10 below
          Map.entry("points.fve", EXACT),
          Map.entry("lambda", EXACT),
          Map.entry("gamma", EXACT),
          Map.entry("slope_per_decade", EXACT),
          Map.entry("text_route_fve", FVE),
          Map.entry("crossover_n", IGNORED),
          Map.entry("fit_seconds", IGNORED));

  @TempDir static Path tmp;
  static Path cpuRun;
  static Path gpuRun;

  @BeforeAll
  static void runTheStudiesOnBothDevices() throws IOException {
    DemoKit.Paths kit = DemoKit.materialise(tmp.resolve("demo"));
    for (int layer : new int[] {0, 1}) {
      Path all = tmp.resolve("L" + layer + ".parquet");
      List<String> extract = new ArrayList<>(List.of("--device", "cpu"));
      extract.addAll(List.of(DemoCommand.extractCorpus(kit, layer, all)));
      ok(extract.toArray(String[]::new));
      // The same seed and row count draw the same rows from both layers: row-aligned sets.
      ok(
          "eval-set",
          "--from",
          all.toString(),
          "--n",
          "8",
          "--seed",
          "42",
          "--out",
          tmp.resolve("eval-L" + layer + ".parquet").toString());
    }
    Path plan = tmp.resolve("plan.yaml");
    Files.writeString(
        plan,
        """
        seed: 42
        batch: 4
        max_new_tokens: 32
        nlas:
          demo: {av: %1$s, ar: %2$s}
          demo0: {av: %1$s, ar: %2$s}
        activations:
          demo: eval-L1.parquet
          demo0: eval-L0.parquet
        studies:
          eval: {nla: demo}
          quote-ban: {nla: demo}
          confab: {activations: demo}
          redact: {nla: demo}
          best-of-n: {nla: demo, samples: 4, temperature: 1.0}
          layers: {nla: demo, trained: L1, neighbours: {L0: eval-L0.parquet}}
          cross: {families: [demo, demo0]}
          ridge: {a: demo, b: demo0, train: {demo: L1.parquet, demo0: L0.parquet}, ns: [16, 32],
                  kernels: [linear, rbf], folds: 2, cv_max_rows: 32}
        """
            .formatted(kit.av(), kit.ar()));
    cpuRun = tmp.resolve("run-cpu");
    gpuRun = tmp.resolve("run-gpu");
    ok("--device", "cpu", "study", "all", "--plan", plan.toString(), "--out", cpuRun.toString());
    long started = System.nanoTime();
    ok("--device", "cuda", "study", "all", "--plan", plan.toString(), "--out", gpuRun.toString());
    System.out.printf(
        Locale.ROOT, "study all on the GPU: %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  static void ok(String... args) {
    CliRun r = CliRun.run(args);
    assertEquals(0, r.code(), "nla " + String.join(" ", args) + ": " + r.err());
  }

  @Test
  void everyStudyAgreesWithTheCpuWithinTheBf16Bound() throws IOException {
    JsonNode cpu = JSON.readTree(cpuRun.resolve("results.json").toFile()).get("studies");
    JsonNode gpu = JSON.readTree(gpuRun.resolve("results.json").toFile()).get("studies");
    for (String study : Studies.names()) assertTrue(cpu.has(study), "the plan runs " + study);

    Bf16Agreement.Comparison c = new Bf16Agreement.Comparison(KINDS, 4.0, 16, smallestVarNrm(cpu));
    c.json(cpu, gpu, "results.json");
    List<Path> journals = journals(cpuRun);
    assertEquals(journals, journals(gpuRun), "the same journals and decode sets");
    int lines = 0;
    for (Path journal : journals) {
      // By key: decodes are journaled as they finish, and the order differs between the devices.
      Map<String, JsonNode> a = journalItems(cpuRun.resolve(journal));
      Map<String, JsonNode> b = journalItems(gpuRun.resolve(journal));
      assertEquals(a.keySet(), b.keySet(), journal + ": items");
      String context = journal.toString().equals("ridge/points.jsonl") ? "points" : null;
      for (var item : a.entrySet()) {
        c.json(item.getValue(), b.get(item.getKey()), journal + " " + item.getKey(), context);
        lines++;
      }
    }
    for (Path settings : decodeSettings(cpuRun))
      c.json(
          JSON.readTree(cpuRun.resolve(settings).toFile()),
          JSON.readTree(gpuRun.resolve(settings).toFile()),
          settings.toString());
    crossShares(gpu.get("cross"));
    crossovers(cpu.get("ridge"), gpu.get("ridge"), c.bound(FVE));
    System.out.println("studies, GPU against CPU: " + c.summary());

    // 8 rows × (eval, 3 quote-ban conditions, 5 redactions, 4 best-of-n samples, 2 layers, 4
    // cross cells) scores at the least, each explanation compared once per decode set.
    assertTrue(lines >= 8 * 19, lines + " journal lines compared");
    assertTrue(c.compared(COS) >= 8 * 19, c.summary());
    assertTrue(c.compared(MSE_NRM) >= 8 * 19, c.summary());
    assertTrue(c.compared(FVE) >= 8 * 19, c.summary());
    assertTrue(c.textsCompared() >= 8 * 5, c.summary());
  }

  /** A journal's items by their key, in the file's order. */
  private static Map<String, JsonNode> journalItems(Path journal) throws IOException {
    Map<String, JsonNode> items = new LinkedHashMap<>();
    for (String line : Files.readAllLines(journal)) {
      JsonNode item = JSON.readTree(line);
      assertEquals(null, items.put(item.get("key").asText(), item), journal + ": a key twice");
    }
    return items;
  }

  @Test
  void theGpuRunsManifestRecordsTheGpu() throws IOException {
    JsonNode gpuManifest = JSON.readTree(gpuRun.resolve("manifest.json").toFile());
    JsonNode cpuManifest = JSON.readTree(cpuRun.resolve("manifest.json").toFile());
    // Each study's identity names the arithmetic (a CPU run is not resumed on the GPU)...
    for (String study : Studies.names()) {
      String gpuEngine = gpuManifest.get("studies").get(study).get("engine").asText();
      String cpuEngine = cpuManifest.get("studies").get(study).get("engine").asText();
      assertTrue(
          gpuEngine.endsWith(" on cuda, bf16 weights and products"), study + ": " + gpuEngine);
      assertTrue(cpuEngine.endsWith(" on cpu, fp32"), study + ": " + cpuEngine);
    }
    // ...and each session the card it ran on.
    JsonNode gpu = gpuManifest.get("sessions");
    JsonNode cpu = cpuManifest.get("sessions");
    assertEquals(Studies.names().size(), gpu.size(), gpu.toString());
    for (JsonNode session : gpu) {
      String device = session.get("device").asText();
      assertTrue(
          device.startsWith("cuda:") && device.contains("bf16"),
          session.get("study") + ": " + device);
    }
    for (JsonNode session : cpu)
      assertTrue(session.get("device").asText().startsWith("cpu"), session.toString());
  }

  /** The smallest FVE denominator of the run's activation sets (each layer's own). */
  static double smallestVarNrm(JsonNode studies) {
    double smallest = studies.get("eval").get("var_nrm_eval").asDouble();
    for (JsonNode row : studies.get("layers").get("rows"))
      smallest = Math.min(smallest, row.get("varNrmOwn").asDouble());
    assertTrue(smallest > 0, "var_nrm " + smallest);
    return smallest;
  }

  /** Every journal (scores, decodes, ridge points) of a run, relative to it, sorted. */
  static List<Path> journals(Path run) throws IOException {
    try (Stream<Path> files = Files.walk(run)) {
      return files
          .filter(p -> p.toString().endsWith(".jsonl"))
          .map(run::relativize)
          .sorted()
          .toList();
    }
  }

  /** The settings file of every decode set (decodes/NAME.HASH.json). */
  static List<Path> decodeSettings(Path run) throws IOException {
    try (Stream<Path> files = Files.list(run.resolve("decodes"))) {
      List<Path> out = new ArrayList<>();
      files.filter(p -> p.toString().endsWith(".json")).map(run::relativize).forEach(out::add);
      assertTrue(!out.isEmpty(), "no decode sets in " + run);
      return out;
    }
  }

  /** A cell's share of its column's ceiling is its FVE over the diagonal cell's (held above). */
  static void crossShares(JsonNode cross) {
    int checked = 0;
    for (JsonNode cell : cross.get("cells")) {
      double ceiling = Double.NaN;
      for (JsonNode diagonal : cross.get("cells"))
        if (diagonal.get("avFamily").equals(cell.get("arFamily"))
            && diagonal.get("arFamily").equals(cell.get("arFamily")))
          ceiling = diagonal.get("fve").asDouble();
      assertEquals(
          cell.get("fve").asDouble() / ceiling,
          cell.get("shareOfCeiling").asDouble(),
          1e-12,
          cell.toString());
      checked++;
    }
    assertEquals(4, checked, cross.toString());
  }

  /**
   * The crossover n solves a + b·log10(n) = the text route's FVE on the (equal) ridge curve, so its
   * log10 moves by the text route's FVE difference over the slope b.
   */
  static void crossovers(JsonNode cpu, JsonNode gpu, double fveBound) {
    int checked = 0;
    for (int i = 0; i < cpu.get("curves").size(); i++) {
      JsonNode a = cpu.get("curves").get(i);
      JsonNode b = gpu.get("curves").get(i);
      if (!a.get("crossover_reachable").asBoolean()) {
        assertTrue(b.get("crossover_n").isNull(), b.toString());
        continue;
      }
      double slope = a.get("slope_per_decade").asDouble();
      double shift =
          Math.abs(
              Math.log10(a.get("crossover_n").asDouble())
                  - Math.log10(b.get("crossover_n").asDouble()));
      assertTrue(
          shift <= fveBound / slope,
          String.format(
              Locale.ROOT,
              "%s: log10 crossover moved %.3g > %.3g",
              a.get("direction").asText() + " " + a.get("kernel").asText(),
              shift,
              fveBound / slope));
      checked++;
    }
    System.out.println("ridge crossovers compared in log10: " + checked);
  }
}
