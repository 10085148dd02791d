package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nla.io.ProgressBar;
import nla.linalg.Ridge;
import org.ejml.data.DMatrixRMaj;

/**
 * §8 as a study: for each direction (A→B, B→A) and kernel, fit on the first n training pairs for
 * each n of the scaling list (λ, and γ for RBF, by k-fold CV), score FVE on the eval pairs, and
 * extrapolate log-linearly to the n at which the fit would match the text route's FVE for that
 * direction. Every (direction, kernel, n) point is one journal item, so a killed scaling run
 * resumes at the next point.
 */
public final class RidgeStudy {
  private RidgeStudy() {}

  public record Params(
      List<Integer> ns,
      List<Ridge.Kernel> kernels,
      int folds,
      int cvMaxRows,
      int extrapolationPoints,
      long seed) {}

  /**
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
      Params p) {
    Journal j = run.journal(Studies.RIDGE, "points");
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
              throw new nla.io.UserError(
                  "ridge: n = " + n + " exceeds the " + d.xTr().numRows + " training pairs");
            String key = d.name() + "/" + k + "/" + n;
            if (!j.has(key)) {
              DMatrixRMaj x = Ridge.firstRows(d.xTr(), n);
              DMatrixRMaj y = Ridge.firstRows(d.yTr(), n);
              RidgeScaling.CvResult cv =
                  RidgeScaling.crossValidate(
                      x,
                      y,
                      RidgeScaling.defaultGrid(k, x, p.seed()),
                      p.folds(),
                      p.cvMaxRows(),
                      p.seed());
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
    run.writeSummary(Studies.RIDGE, out);
    return out;
  }
}
