package nla.study;

import static nla.study.ReportPage.f3;
import static nla.study.ReportPage.num;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import nla.io.ProgressBar;
import nla.io.UserError;
import nla.linalg.Ridge;
import org.ejml.data.DMatrixRMaj;

/**
 * §8, the linear baseline: for each direction (A→B, B→A) and kernel, fit ridge or kernel ridge on
 * the first n training pairs for each n of the scaling list (λ, and γ for RBF, by k-fold CV), score
 * FVE on the eval pairs, and extrapolate log-linearly to the n at which the fit would match the
 * text route's FVE for that direction (from the run directory's cross study). Every (direction,
 * kernel, n) point is one journal item, so a killed scaling run resumes at the next point.
 */
public final class RidgeStudy implements Study<RidgeStudy.Params> {
  public static final String NAME = "ridge";

  /**
   * @param a family A: its eval activation set's name (row-aligned with {@code b}'s)
   * @param trainA family A's training vectors (documents disjoint from the eval set)
   */
  public record Params(String a, String b, Path trainA, Path trainB, Fits fits) {}

  /** The fits: training sizes, kernels, CV folds and rows, points of the extrapolation. */
  public record Fits(
      List<Integer> ns,
      List<Ridge.Kernel> kernels,
      int folds,
      int cvMaxRows,
      int extrapolationPoints) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "§8: ridge and kernel ridge between two families' vectors, both directions, FVE vs n, extrapolated crossover with the text route (from RUN_DIR's cross study).";
  }

  @Override
  public List<String> settings() {
    return List.of(
        "a", "b", "train", "ns", "kernels", "folds", "cv_max_rows", "extrapolation_points");
  }

  @Override
  public List<StudyFlag> flags() {
    return List.of(
        StudyFlag.required(
            "--a",
            "NAME=TRAIN,EVAL",
            StudyFlag.Type.KEY_VALUES,
            "Family A: training and eval activations."),
        StudyFlag.required(
            "--b",
            "NAME=TRAIN,EVAL",
            StudyFlag.Type.KEY_VALUES,
            "Family B: training and eval activations."),
        StudyFlag.withDefault(
            "--ns",
            "N",
            StudyFlag.Type.INTEGERS,
            "250,1000,5000,20000",
            "Training sizes. Default: ${DEFAULT-VALUE}."),
        StudyFlag.withDefault(
            "--kernels",
            "KERNEL",
            StudyFlag.Type.TEXTS,
            "linear,rbf",
            "Regressions to fit: linear (ridge), rbf (kernel ridge). Default: ${DEFAULT-VALUE}."),
        StudyFlag.withDefault(
            "--folds", "N", StudyFlag.Type.INTEGER, "5", "CV folds. Default: ${DEFAULT-VALUE}."),
        StudyFlag.withDefault(
            "--cv-max-rows",
            "N",
            StudyFlag.Type.INTEGER,
            "2000",
            "Rows that take part in CV. Default: ${DEFAULT-VALUE}."));
  }

  @Override
  @SuppressWarnings("unchecked")
  public void plan(StudyFlag.Values flags, OneStudyPlan plan) {
    Map<String, String> a = (Map<String, String>) flags.get("--a");
    Map<String, String> b = (Map<String, String>) flags.get("--b");
    if (a.size() != 1 || b.size() != 1)
      throw new UserError("--a/--b: give one NAME=TRAIN,EVAL each");
    var ea = a.entrySet().iterator().next();
    var eb = b.entrySet().iterator().next();
    String[] pa = ea.getValue().split(",");
    String[] pb = eb.getValue().split(",");
    if (pa.length != 2) throw new UserError("--a: expected NAME=TRAIN,EVAL");
    if (pb.length != 2) throw new UserError("--b: expected NAME=TRAIN,EVAL");
    plan.activations(ea.getKey(), pa[1]).activations(eb.getKey(), pb[1]);
    Map<String, Object> train = new LinkedHashMap<>();
    train.put(ea.getKey(), pa[0]);
    train.put(eb.getKey(), pb[0]);
    plan.set("a", ea.getKey())
        .set("b", eb.getKey())
        .set("train", train)
        .set("ns", flags.get("--ns"))
        .set("kernels", flags.get("--kernels"))
        .set("folds", flags.get("--folds"))
        .set("cv_max_rows", flags.get("--cv-max-rows"));
  }

  @Override
  public Params parse(StudySettings s) {
    // Training sizes first: a bad one is the likeliest typo, and names itself.
    if (s.raw("ns") instanceof List<?> given)
      for (Object n : given)
        if (!(n instanceof Number)
            || PlanFields.wholeNumber(n) == null
            || ((Number) n).doubleValue() < 1)
          throw s.error(
              s.where() + ".ns: '" + n + "' is not a training size (a whole number >= 1)");
    Map<String, Object> train = s.mapping("train", true);
    List<String> names = new ArrayList<>();
    for (String side : List.of("a", "b")) {
      String name = s.string(side, null);
      s.requireActivations(name, s.where() + "." + side);
      if (train.get(name) == null)
        throw s.error(s.where() + ".train: missing field '" + name + "'");
      names.add(name);
    }
    Map<String, Path> trainFiles = new LinkedHashMap<>();
    for (var e : train.entrySet())
      trainFiles.put(e.getKey(), s.inputFile("train." + e.getKey(), String.valueOf(e.getValue())));
    List<Integer> ns = new ArrayList<>();
    for (String n : s.list("ns")) ns.add((int) Double.parseDouble(n));
    List<Ridge.Kernel> kernels = new ArrayList<>();
    for (String k : s.has("kernels") ? s.list("kernels") : List.of("linear", "rbf"))
      kernels.add(kernel(k, s));
    Fits fits =
        new Fits(
            ns,
            kernels,
            (int) s.integer("folds", 5, 2, Integer.MAX_VALUE),
            (int) s.integer("cv_max_rows", 2000, 1, Integer.MAX_VALUE),
            (int) s.integer("extrapolation_points", 3, 2, Integer.MAX_VALUE));
    String a = names.get(0);
    String b = names.get(1);
    return new Params(a, b, trainFiles.get(a), trainFiles.get(b), fits);
  }

  private static Ridge.Kernel kernel(String k, StudySettings s) {
    return switch (k.toLowerCase(Locale.ROOT)) {
      case "linear" -> Ridge.Kernel.LINEAR;
      case "rbf" -> Ridge.Kernel.RBF;
      default -> throw s.error(s.where() + ".kernels: unknown kernel '" + k + "' (linear or rbf)");
    };
  }

  @Override
  public void run(Params p, StudyContext c) {
    ActivationSet trA = ActivationSets.load(p.trainA());
    ActivationSet trB = ActivationSets.load(p.trainB());
    ActivationSet evA = c.activations(p.a());
    ActivationSet evB = c.activations(p.b());
    Map<String, String> inputs = new LinkedHashMap<>();
    for (var x : List.of(trA, trB, evA, evB)) inputs.put("activations:" + x.name(), x.hash());
    Map<String, Double> textRoute = CrossStudy.textRoute(c.summaryOf(CrossStudy.NAME));
    try (RunDir run = c.open(inputs)) {
      run(run, p.a(), p.b(), trA, trB, evA, evB, textRoute, p.fits(), c.seed());
    }
  }

  /**
   * §8 as a Java call, in an open run directory.
   *
   * @param trainA training vectors of family A, row-aligned with {@code trainB} (documents disjoint
   *     from the eval set)
   * @param textRoute the text route's FVE per direction name ({@code A->B}), e.g. the §7 cross
   *     cells; a missing direction gets no crossover
   */
  public static ObjectNode run(
      RunDir run,
      String nameA,
      String nameB,
      ActivationSet trainA,
      ActivationSet trainB,
      ActivationSet evalA,
      ActivationSet evalB,
      Map<String, Double> textRoute,
      Fits p,
      long seed) {
    Journal j = run.journal(NAME, "points");
    DMatrixRMaj ta = Ridge.unitRows(Ridge.matrix(trainA.vectors()));
    DMatrixRMaj tb = Ridge.unitRows(Ridge.matrix(trainB.vectors()));
    DMatrixRMaj ea = Ridge.unitRows(Ridge.matrix(evalA.vectors()));
    DMatrixRMaj eb = Ridge.unitRows(Ridge.matrix(evalB.vectors()));
    record Dir(String name, DMatrixRMaj xTr, DMatrixRMaj yTr, DMatrixRMaj xEv, DMatrixRMaj yEv) {}
    List<Dir> dirs =
        List.of(
            new Dir(nameA + "->" + nameB, ta, tb, ea, eb),
            new Dir(nameB + "->" + nameA, tb, ta, eb, ea));
    int total = dirs.size() * p.kernels().size() * p.ns().size();
    ArrayNode curves = Studies.arr();
    try (ProgressBar prog = ProgressBar.onTerminal("ridge", "it").start(total, j.size())) {
      for (Dir d : dirs)
        for (Ridge.Kernel k : p.kernels()) {
          List<RidgeScaling.ScalingPoint> curve = new ArrayList<>();
          for (int n : p.ns()) {
            if (n > d.xTr().numRows)
              throw new UserError(
                  "ridge: n = " + n + " exceeds the " + d.xTr().numRows + " training pairs");
            String key = d.name() + "/" + k + "/" + n;
            if (!j.has(key)) {
              DMatrixRMaj x = Ridge.firstRows(d.xTr(), n);
              DMatrixRMaj y = Ridge.firstRows(d.yTr(), n);
              RidgeScaling.CvResult cv =
                  RidgeScaling.crossValidate(
                      x, y, RidgeScaling.defaultGrid(k, x, seed), p.folds(), p.cvMaxRows(), seed);
              long t0 = System.nanoTime();
              double fve =
                  RidgeScaling.fveNormalised(Ridge.fit(x, y, cv.best()).predict(d.xEv()), d.yEv());
              ObjectNode rec = j.newRecord(key);
              rec.put("direction", d.name());
              rec.put("kernel", k.toString());
              rec.put("n", n);
              rec.put("lambda", cv.best().lambda());
              rec.put("gamma", cv.best().gamma());
              rec.put("fve", fve);
              rec.put("fit_seconds", (System.nanoTime() - t0) / 1e9);
              j.append(rec);
              prog.advance(1);
            }
            JsonNode r = j.get(key);
            curve.add(
                new RidgeScaling.ScalingPoint(
                    n,
                    new Ridge.Params(k, r.get("lambda").asDouble(), r.get("gamma").asDouble()),
                    r.get("fve").asDouble()));
          }
          ObjectNode c = Studies.obj();
          c.put("direction", d.name());
          c.put("kernel", k.toString());
          ArrayNode pts = Studies.arr();
          for (RidgeScaling.ScalingPoint sp : curve) {
            ObjectNode o = Studies.obj();
            o.put("n", sp.n());
            o.put("fve", sp.fve());
            o.put("lambda", sp.chosen().lambda());
            pts.add(o);
          }
          c.set("points", pts);
          Double text = textRoute.get(d.name());
          if (text != null) {
            c.put("text_route_fve", text);
            RidgeScaling.Crossover x = RidgeScaling.crossover(curve, text, p.extrapolationPoints());
            c.put("crossover_reachable", x.reachable());
            if (x.reachable()) c.put("crossover_n", x.n());
            else c.putNull("crossover_n");
            c.put("slope_per_decade", x.fveVsLog10N().slope());
          }
          curves.add(c);
        }
    }
    ObjectNode out = Studies.obj();
    out.put("train_pairs", trainA.size());
    out.put("eval_pairs", evalA.size());
    out.set("curves", curves);
    run.writeSummary(NAME, out);
    return out;
  }

  @Override
  public void report(JsonNode r, ReportPage page) {
    page.section(
        "§8",
        "Linear baseline: ridge and kernel ridge",
        "Unit-normalised vectors, λ (and γ) by k-fold CV; "
            + r.path("train_pairs").asText()
            + " training pairs, "
            + r.path("eval_pairs").asText()
            + " eval pairs. Dashed: the text route.");
    Map<String, double[][]> series = new LinkedHashMap<>();
    Map<String, Double> markers = new LinkedHashMap<>();
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode c : r.get("curves")) {
      JsonNode pts = c.get("points");
      double[][] xy = new double[pts.size()][];
      for (int i = 0; i < pts.size(); i++)
        xy[i] = new double[] {pts.get(i).get("n").asDouble(), pts.get(i).get("fve").asDouble()};
      String name =
          c.get("direction").asText() + " " + c.get("kernel").asText().toLowerCase(Locale.ROOT);
      series.put(name, xy);
      if (c.has("text_route_fve"))
        markers.put("text route " + c.get("direction").asText(), num(c, "text_route_fve"));
      JsonNode last = pts.get(pts.size() - 1);
      String cross =
          !c.has("text_route_fve")
              ? "—"
              : c.path("crossover_reachable").asBoolean()
                  ? String.format(Locale.ROOT, "%.2g", num(c, "crossover_n"))
                  : "never (flat)";
      rows.add(
          List.of(
              name,
              last.get("n").asText(),
              f3(last.get("fve").asDouble()),
              f3(num(c, "text_route_fve")),
              cross));
    }
    page.figure(
        Charts.svg(Charts.lines("training pairs n", "FVE", series, 10, markers), "fig-ridge"),
        "Ridge FVE vs training pairs (log x) against the zero-paired-data text route (dashed).");
    page.table(
        List.of(
            "direction / kernel",
            "largest n",
            "FVE at largest n",
            "text route",
            "extrapolated crossover n"),
        rows);
    page.endSection();
  }
}
