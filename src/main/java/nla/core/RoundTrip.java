package nla.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Verbalize → reconstruct → score (contract §4–§5), over any {@link Verbalizer} and {@link
 * Reconstructor}. A missing-tag decode is kept: its raw text (stripped) goes to the AR, as the
 * reference's client returns the raw text on a miss, and it is flagged and counted.
 */
public final class RoundTrip {
  private RoundTrip() {}

  /** One (row, sample) of a round trip. */
  public record Item(
      Verbalization verbalization, String arInput, float[] prediction, Metrics.Score score) {}

  /** The means over the items, and where the FVE denominator came from. */
  public record Summary(
      int items,
      int rowErrors,
      double meanFve,
      double meanCos,
      double meanMse,
      double fractionFveAbove05,
      int missingTags,
      Metrics.Denominator denominator) {}

  /** The items and their summary. */
  public record Result(List<Item> items, List<RowError> rowErrors, Summary summary) {}

  /**
   * Runs the round trip, scoring at the AR's {@link Reconstructor#mseNorm()}. {@code denominator}
   * null means the FVE denominator is computed from {@code vectors} themselves (their usable rows).
   * {@code afterVerbalize} receives the decodes before reconstruction starts.
   */
  public static Result run(
      Verbalizer av,
      Reconstructor ar,
      List<float[]> vectors,
      VerbalizeOptions options,
      Metrics.Denominator denominator,
      String vectorSetName,
      java.util.function.Consumer<List<Verbalization>> afterVerbalize) {
    if (av.dModel() != ar.dModel()) {
      throw new nla.io.UserError(
          "--av/--ar: the AV has d_model " + av.dModel() + " but the AR has " + ar.dModel());
    }
    List<RowError> errors = new ArrayList<>();
    var forwarded = options.onRowError();
    VerbalizeOptions collecting =
        options.withRowErrors(
            e -> {
              errors.add(e);
              if (forwarded != null) forwarded.accept(e);
            });
    List<Verbalization> decodes = av.verbalize(vectors, collecting);
    afterVerbalize.accept(decodes); // saved before the AR runs: an AR error loses no decode
    if (denominator == null) {
      // The rows the verbalizer took: it checked each vector once and reported the rest.
      java.util.Set<Integer> refused = new java.util.HashSet<>();
      for (RowError e : errors) refused.add(e.row());
      List<float[]> usable = new ArrayList<>();
      for (int i = 0; i < vectors.size(); i++) {
        if (!refused.contains(options.rowLabel(i))) usable.add(vectors.get(i));
      }
      denominator = Metrics.Denominator.ofVectorSet(usable, ar.mseNorm(), vectorSetName);
    }
    List<String> arInputs = new ArrayList<>(decodes.size());
    for (Verbalization d : decodes) arInputs.add(arInput(d));
    float[][] preds = ar.reconstruct(arInputs);
    java.util.Map<Integer, Integer> indexOfRow = new java.util.HashMap<>();
    for (int i = 0; i < vectors.size(); i++) indexOfRow.put(options.rowLabel(i), i);
    List<Item> items = new ArrayList<>(decodes.size());
    for (int i = 0; i < decodes.size(); i++) {
      Verbalization d = decodes.get(i);
      float[] gold = vectors.get(indexOfRow.get(d.row()));
      items.add(
          new Item(
              d,
              arInputs.get(i),
              preds[i],
              Metrics.score(preds[i], gold, ar.mseNorm(), denominator)));
    }
    return new Result(items, errors, summarize(items, errors.size(), denominator));
  }

  /**
   * What the AR reads for a decode: its explanation, or for a missing-tag decode its raw text,
   * stripped (the reference's client returns the raw text on a miss).
   */
  public static String arInput(Verbalization d) {
    return d.missingTag() ? Explanations.pythonStrip(d.text()) : d.explanation();
  }

  static Summary summarize(List<Item> items, int rowErrors, Metrics.Denominator denominator) {
    double fve = 0;
    double cos = 0;
    double mse = 0;
    int above = 0;
    int missing = 0;
    for (Item it : items) {
      fve += it.score().fveNrm();
      cos += it.score().cos();
      mse += it.score().mseNrm();
      if (it.score().fveNrm() > 0.5) above++;
      if (it.verbalization().missingTag()) missing++;
    }
    int n = items.size();
    return new Summary(
        n,
        rowErrors,
        fve / n,
        cos / n,
        mse / n,
        n == 0 ? Double.NaN : (double) above / n,
        missing,
        denominator);
  }
}
