package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import nla.io.Npy;
import nla.io.UserError;
import nla.model.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nla study all}'s plan end to end, every study, on fake NLA pairs and small .npy sets. */
class StudyPlanTest {
  static final int D = 6;
  @TempDir Path tmp;

  static void vectors(Path f, int n, long seed) {
    Random r = new Random(seed);
    float[][] m = new float[n][D];
    for (float[] row : m) for (int k = 0; k < D; k++) row[k] = (float) (0.5 + r.nextGaussian());
    Npy.write(f, m);
  }

  @Test
  void aPlanWithEveryStudyRunsEndToEndAndWritesTheReport() throws Exception {
    vectors(tmp.resolve("a.npy"), 12, 1);
    vectors(tmp.resolve("b.npy"), 12, 2);
    vectors(tmp.resolve("a-prev.npy"), 12, 3);
    vectors(tmp.resolve("a-train.npy"), 300, 4);
    vectors(tmp.resolve("b-train.npy"), 300, 5);
    Files.writeString(
        tmp.resolve("plan.yaml"),
        """
        seed: 7
        batch: 4
        nlas:
          a: {av: ckpt/a-av, ar: ckpt/a-ar, training_var_nrm: 0.05}
          b: {av: ckpt/b-av, ar: ckpt/b-ar}
        activations:
          a: a.npy
          b: b.npy
        studies:
          eval: {nla: a}
          quote-ban: {nla: a}
          redact: {nla: a}
          best-of-n: {nla: a, samples: 4}
          layers: {nla: a, trained: L5, neighbours: {L4: a-prev.npy}}
          cross: {families: [a, b]}
          ridge: {a: a, b: b, train: {a: a-train.npy, b: b-train.npy}, ns: [50, 100, 200], kernels: [linear], folds: 3}
        prereg: prereg.yaml
        """);
    Files.writeString(
        tmp.resolve("prereg.yaml"),
        "predictions:\n  - {claim: exact fake, study: eval, metric: mean_fve, expected: [0.99, 1.01]}\n");
    StudyPlan plan = StudyPlan.load(tmp.resolve("plan.yaml"));
    Path run = tmp.resolve("run");
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stderr = System.err;
    Path html;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      html =
          plan.run(
              run,
              (name, av, ar) -> {
                assertEquals("ckpt/" + name + "-av", av); // not a folder: passed on as a repo id
                return Fakes.nla(name, D, 0);
              },
              () -> "fake");
    } finally {
      System.setErr(stderr);
    }
    // A long plan says which study runs and how long each took (no silent minutes in a log).
    String progress = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(progress.contains("study all: eval (1 of 7)..."), progress);
    assertTrue(progress.contains("study all: ridge (7 of 7)..."), progress);
    assertTrue(progress.matches("(?s).*study all: ridge done in [0-9.]+ s.*"), progress);
    assertTrue(Files.readString(html).contains("<svg"));
    JsonNode results = RunDir.JSON.readTree(run.resolve("results.json").toFile());
    for (String s : Studies.names())
      if (!s.equals(ConfabStudy.NAME)) assertTrue(results.get("studies").has(s), s);
    assertEquals("✓", results.get("preregistration").get(0).get("verdict").asText());
    // The text route of ridge comes from the cross study: a->b off-diagonal cell.
    JsonNode curve = results.get("studies").get("ridge").get("curves").get(0);
    assertEquals("a->b", curve.get("direction").asText());
    assertEquals(
        Report.resolve(results.get("studies").get("cross"), "cells[1].fve").asDouble(),
        curve.get("text_route_fve").asDouble());
    // Rerunning the plan (with another batch size, which changes no result) resumes: nothing
    // new is decoded. Another limit would change results and is refused.
    String text = Files.readString(tmp.resolve("plan.yaml"));
    Files.writeString(tmp.resolve("plan2.yaml"), text.replace("batch: 4", "batch: 3"));
    Files.writeString(tmp.resolve("plan3.yaml"), text.replace("batch: 4", "limit: 5"));
    UserError refused =
        assertThrows(
            UserError.class,
            () ->
                StudyPlan.load(tmp.resolve("plan3.yaml"))
                    .run(run, (n, a, b) -> Fakes.nla(n, D, 0), () -> "fake"));
    assertTrue(refused.getMessage().contains("parameters.limit"), refused.getMessage());
    Fakes.Av[] avs = new Fakes.Av[1];
    StudyPlan.load(tmp.resolve("plan2.yaml"))
        .run(
            run,
            (name, av, ar) -> {
              Nla n = Fakes.nla(name, D, 0);
              if (name.equals("a")) avs[0] = (Fakes.Av) n.av();
              return n;
            },
            () -> "fake");
    assertEquals(0, avs[0].decodes.get());
  }

  /**
   * The cross study of a plan reads the alignment report its parquet sets came from: rows at token
   * positions 60 + i (A) and 50 + i (B) of doc d:i, their ends i % 2 characters apart in the
   * report, so the mean error over the 6 rows is 3/6 = 0.5 characters.
   */
  @Test
  void crossStudyOfAPlanReportsTheAlignmentError() throws Exception {
    Random r = new Random(3);
    for (String side : List.of("A", "B")) {
      List<nla.data.ActivationRow> rows = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        float[] v = new float[D];
        for (int k = 0; k < D; k++) v[k] = (float) (0.5 + r.nextGaussian());
        int position = (side.equals("A") ? 60 : 50) + i;
        rows.add(new nla.data.ActivationRow(position + 1, "text " + i, v, 3, "d:" + i));
      }
      nla.data.ActivationParquet.write(tmp.resolve(side + ".parquet"), D, rows);
    }
    List<String> report = new ArrayList<>();
    for (int i = 0; i < 6; i++)
      report.add(
          String.format(
              "{\"doc_id\":\"d:%d\",\"position_a\":%d,\"position_b\":%d,"
                  + "\"end_char_a\":%d,\"end_char_b\":%d,\"error_chars\":%d}",
              i, 60 + i, 50 + i, 200 + i, 200 + i + i % 2, i % 2));
    Files.write(tmp.resolve("alignment.jsonl"), report);
    String plan =
        """
        nlas:
          a: {av: a-av, ar: a-ar}
          b: {av: b-av, ar: b-ar}
        activations:
          a: A.parquet
          b: B.parquet
        studies:
          cross: {families: [a, b], alignment: alignment.jsonl}
        """;
    Files.writeString(tmp.resolve("plan.yaml"), plan);
    StudyPlan.load(tmp.resolve("plan.yaml"))
        .run(tmp.resolve("run"), (n, a, b) -> Fakes.nla(n, D, 0), () -> "fake");
    JsonNode results = RunDir.JSON.readTree(tmp.resolve("run").resolve("results.json").toFile());
    JsonNode al = results.get("studies").get("cross").get("alignment");
    assertEquals(6, al.get("pairs").asInt());
    assertEquals(0.5, al.get("mean_error_chars").asDouble(), 1e-12);
    assertTrue(Files.readString(tmp.resolve("run").resolve("report.html")).contains("0.500"));

    Files.writeString(tmp.resolve("p2.yaml"), plan.replace("alignment.jsonl", "missing.jsonl"));
    UserError e =
        assertThrows(
            UserError.class,
            () ->
                StudyPlan.load(tmp.resolve("p2.yaml"))
                    .run(tmp.resolve("run2"), (n, a, b) -> Fakes.nla(n, D, 0), () -> "fake"));
    assertTrue(e.getMessage().contains("studies.cross.alignment"), e.getMessage());
  }

  /**
   * {@code ignore_eos: true} reaches every decode of the plan, greedy (eval) and sampled
   * (best-of-n), and the run's identity, so a run resumed without it is refused rather than mixing
   * fixed-length decodes with ones that stopped at EOS; a plan without it decodes as before.
   */
  @Test
  void ignoreEosReachesEveryDecodeAndTheRunsIdentity() throws Exception {
    vectors(tmp.resolve("a.npy"), 4, 1);
    String plan =
        """
        ignore_eos: true
        nlas: {a: {av: a-av, ar: a-ar}}
        activations: {a: a.npy}
        studies:
          eval: {nla: a}
          best-of-n: {nla: a, samples: 2}
        """;
    Files.writeString(tmp.resolve("plan.yaml"), plan);
    Files.writeString(tmp.resolve("stops.yaml"), plan.replace("ignore_eos: true\n", ""));
    Fakes.Av[] avs = new Fakes.Av[2];
    for (int i = 0; i < 2; i++) {
      int k = i;
      StudyPlan.load(tmp.resolve(i == 0 ? "plan.yaml" : "stops.yaml"))
          .run(
              tmp.resolve("run" + i),
              (n, a, b) -> {
                Nla nla = Fakes.nla(n, D, 0);
                avs[k] = (Fakes.Av) nla.av();
                return nla;
              },
              () -> "fake");
    }
    List<Double> temperatures = new ArrayList<>();
    for (var o : avs[0].calls) {
      assertTrue(o.ignoreEos(), "every decode of the plan runs past EOS");
      temperatures.add(o.temperature());
    }
    assertTrue(temperatures.contains(0.0) && temperatures.contains(1.0), "" + temperatures);
    assertEquals(avs[0].calls.size(), avs[1].calls.size());
    for (var o : avs[1].calls) assertFalse(o.ignoreEos());
    JsonNode manifest = RunDir.JSON.readTree(tmp.resolve("run0/manifest.json").toFile());
    for (String study : List.of("eval", "best-of-n"))
      assertTrue(
          manifest.get("studies").get(study).get("parameters").get("ignore_eos").asBoolean());

    UserError refused =
        assertThrows(
            UserError.class,
            () ->
                StudyPlan.load(tmp.resolve("stops.yaml"))
                    .run(tmp.resolve("run0"), (n, a, b) -> Fakes.nla(n, D, 0), () -> "fake"));
    assertTrue(
        refused.getMessage().contains("parameters.ignore_eos was true, now false"),
        refused.getMessage());
    assertPlanError(
        plan.replace("ignore_eos: true", "ignore_eos: 1"),
        "plan.ignore_eos: must be true or false, got 1");
  }

  @Test
  void planErrorsNameTheField() throws Exception {
    Files.writeString(tmp.resolve("p.yaml"), "studies: {evl: {}}\n");
    UserError e = assertThrows(UserError.class, () -> StudyPlan.load(tmp.resolve("p.yaml")));
    assertTrue(e.getMessage().contains("studies.evl"), e.getMessage());
    Files.writeString(tmp.resolve("q.yaml"), "studies: {eval: {nla: x}}\n");
    UserError e2 = assertThrows(UserError.class, () -> StudyPlan.load(tmp.resolve("q.yaml")));
    assertTrue(
        e2.getMessage().contains("studies.eval.nla: no NLA named 'x' under nlas"), e2.getMessage());
  }

  /** A plan line and the error it must give, in one line, when the plan loads. */
  private void assertPlanError(String yaml, String fragment) throws Exception {
    Path plan = tmp.resolve("bad.yaml");
    Files.writeString(plan, yaml);
    UserError e = assertThrows(UserError.class, () -> StudyPlan.load(plan));
    assertTrue(e.getMessage().startsWith(plan + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
  }

  @Test
  void aSeedOrCountThatIsNotAWholeNumberInRangeIsRefused() throws Exception {
    String studies = "studies: {confab: {activations: a}}\nactivations: {a: a.npy}\n";
    // YAML reads these as floating point; a cast made 4.5e99 into 2^63 - 1 and 2.5 into 2.
    assertPlanError("seed: 4.5e99\n" + studies, "plan.seed: 4.5E99 is out of range");
    assertPlanError("seed: 2.5\n" + studies, "plan.seed: must be a whole number, got 2.5");
    assertPlanError(
        "seed: 99999999999999999999\n" + studies,
        "plan.seed: 99999999999999999999 is out of range");
    assertPlanError("seed: forty-two\n" + studies, "plan.seed: must be a whole number");
    assertPlanError("batch: 8.5\n" + studies, "plan.batch: must be a whole number, got 8.5");
    assertPlanError(
        "limit: 1e12\n" + studies, "plan.limit: 1.0E12 is out of range (expected 1..2147483647)");
    assertPlanError(
        "nlas: {n: {av: x, ar: y}}\nactivations: {n: a.npy}\n"
            + "studies: {best-of-n: {nla: n, samples: 2.5}}\n",
        "studies.best-of-n.samples: must be a whole number, got 2.5");

    Path plan = tmp.resolve("good.yaml");
    Files.writeString(plan, "seed: 7.0\n" + studies);
    assertEquals(7, StudyPlan.load(plan).seed(), "a whole number written with a point is fine");
    Files.writeString(plan, "seed: -9223372036854775808\n" + studies);
    assertEquals(Long.MIN_VALUE, StudyPlan.load(plan).seed());
  }

  /**
   * A plan whose last study names an NLA it does not define is refused when it loads, not after the
   * studies before it have run: the opener (which would load checkpoints) is never called.
   */
  @Test
  void aNameTheLastStudyGetsWrongIsFoundBeforeAnyStudyRuns() throws Exception {
    vectors(tmp.resolve("a.npy"), 4, 1);
    String plan =
        """
        nlas: {good: {av: x, ar: y}}
        activations: {good: a.npy}
        studies:
          confab: {activations: good}
          eval: {nla: good}
          best-of-n: {nla: gdoo}
        """;
    assertPlanError(
        plan, "studies.best-of-n.nla: no NLA named 'gdoo' under nlas (the plan has [good])");
    assertPlanError(
        plan.replace("gdoo", "good")
            .replace("eval: {nla: good}", "eval: {nla: good, activations: b}"),
        "studies.eval.activations: no activation set named 'b' under activations");
    assertPlanError(
        plan.replace("best-of-n: {nla: gdoo}", "cross: {families: [good, other]}"),
        "studies.cross.families: no NLA named 'other'");
    assertPlanError(
        plan.replace(
            "best-of-n: {nla: gdoo}",
            "ridge: {a: good, b: good, train: {good: a.npy}, ns: [10], kernels: [cubic]}"),
        "studies.ridge.kernels: unknown kernel 'cubic'");
    assertPlanError(
        plan.replace(
            "best-of-n: {nla: gdoo}",
            "ridge: {a: good, b: good, train: {good: a.npy}, ns: [10.5]}"),
        "studies.ridge.ns: '10.5' is not a training size");
    assertPlanError(
        plan.replace("nlas: {good: {av: x, ar: y}}", "nlas: {good: {av: x}}"),
        "nlas.good: missing field 'ar'");
    assertPlanError(
        plan.replace(
            "best-of-n: {nla: gdoo}",
            "ridge: {a: good, b: good, train: {good: a.npy}, ns: [10], folds: 1}"),
        "studies.ridge.folds: 1 is out of range (expected 2..2147483647)");
  }

  /**
   * A plan without {@code batch} takes the default of the device its models go to, asked when the
   * batch is (16 on the CPU the suite runs on); a plan's own batch wins, and must be >= 1.
   */
  @Test
  void aPlanWithoutBatchTakesTheDevicesDefaultAndItsOwnWins() throws Exception {
    String studies = "studies: {confab: {activations: a}}\nactivations: {a: a.npy}\n";
    Path plan = tmp.resolve("p.yaml");
    Files.writeString(plan, studies);
    assertEquals(LanguageModel.defaultBatch(), StudyPlan.load(plan).batch());
    assertEquals(16, StudyPlan.load(plan).batch());
    Files.writeString(plan, "device: cpu\n" + studies);
    assertEquals(16, StudyPlan.load(plan).batch());
    Files.writeString(plan, "batch: 300\n" + studies);
    assertEquals(300, StudyPlan.load(plan).batch());
    Files.writeString(plan, "batch: 1\n" + studies);
    assertEquals(1, StudyPlan.load(plan).batch());
    assertPlanError("batch: 0\n" + studies, "plan.batch: 0 is out of range");
  }
}
