package nla.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The round trip's bookkeeping over stand-in halves whose outputs are known. */
class RoundTripTest {
  /** Writes the vector's first coordinate; row 1 "forgets" the tags. */
  static final class EchoAv implements Verbalizer {
    @Override
    public List<Verbalization> verbalize(List<float[]> vectors, VerbalizeOptions o) {
      List<Verbalization> out = new ArrayList<>();
      for (int i = 0; i < vectors.size(); i++) {
        String problem = Vectors.problem(vectors.get(i), 2);
        if (problem != null) {
          o.onRowError().accept(new RowError(o.rowLabel(i), problem));
          continue;
        }
        String x = vectors.get(i)[0] > 0 ? "east" : "north";
        String text = i == 1 ? "  " + x + " \n" : "<explanation> " + x + " </explanation>";
        out.add(
            new Verbalization(
                o.rowLabel(i), 0, new int[0], 0, new int[0], text, Explanations.extract(text)));
      }
      return out;
    }

    @Override
    public int dModel() {
      return 2;
    }
  }

  /** "east" → (1, 0), anything else → (0, 1); records what it was given. */
  static final class CompassAr implements Reconstructor {
    final List<String> seen = new ArrayList<>();

    @Override
    public float[][] reconstruct(List<String> explanations) {
      seen.addAll(explanations);
      float[][] out = new float[explanations.size()][];
      for (int i = 0; i < out.length; i++) {
        out[i] = explanations.get(i).equals("east") ? new float[] {1, 0} : new float[] {0, 1};
      }
      return out;
    }

    @Override
    public int dModel() {
      return 2;
    }

    @Override
    public Double mseNorm() {
      return Math.sqrt(2);
    }
  }

  @Test
  void scoresEachDecodeCountsMissingTagsAndReportsBadRowsWhileOthersGoOn() {
    List<float[]> vectors =
        List.of(new float[] {3, 0}, new float[] {5, 0}, new float[] {0, 0}, new float[] {-1, 0});
    CompassAr ar = new CompassAr();
    List<Verbalization> saved = new ArrayList<>();
    RoundTrip.Result r =
        RoundTrip.run(
            new EchoAv(),
            ar,
            vectors,
            VerbalizeOptions.greedy().withRowLabels(new int[] {10, 11, 12, 13}),
            Metrics.Denominator.given(0.5),
            "v.npy",
            saved::addAll);
    assertEquals(
        List.of("east", "east", "north"), ar.seen); // the raw text of the missing-tag row, stripped
    assertEquals(
        List.of(new RowError(12, "the vector is all zeros (it has no direction to verbalize)")),
        r.rowErrors());
    assertEquals(3, r.items().size());
    assertEquals(3, saved.size());
    assertEquals(13, r.items().get(2).verbalization().row());
    // rows 10, 11: perfect (mse 0, fve 1); row 13: gold (−1,0) vs pred (0,1): orthogonal, mse 2,
    // fve 1 − 2/0.5 = −3.
    RoundTrip.Summary s = r.summary();
    assertEquals((1 + 1 - 3) / 3.0, s.meanFve(), 1e-12);
    assertEquals(2 / 3.0, s.meanCos(), 1e-12);
    assertEquals(2 / 3.0, s.fractionFveAbove05(), 1e-12);
    assertEquals(1, s.missingTags());
    assertEquals(1, s.rowErrors());
    assertTrue(s.denominator().origin().contains("given"));
  }

  @Test
  void withoutADenominatorTheVectorSetsOwnVarianceIsUsedAndNamed() {
    // The all-zeros row the AV refuses is left out of the denominator.
    List<float[]> vectors = List.of(new float[] {3, 0}, new float[] {0, 0}, new float[] {0, 2});
    RoundTrip.Result r =
        RoundTrip.run(
            new EchoAv(),
            new CompassAr(),
            vectors,
            VerbalizeOptions.greedy(),
            null,
            "set.npy",
            d -> {});
    assertEquals(1, r.summary().rowErrors());
    assertEquals(0.5, r.summary().denominator().varNrm(), 1e-12);
    assertTrue(r.summary().denominator().origin().contains("2 vectors in set.npy"));
  }
}
