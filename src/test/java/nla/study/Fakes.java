package nla.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nla.core.Reconstructor;
import nla.core.Verbalization;
import nla.core.VerbalizeOptions;
import nla.core.Verbalizer;

/**
 * Fake NLA halves whose round trip is known exactly. The AV writes the vector's components (rounded
 * to 4 decimals, plus noise scaled by the temperature from the decode's own seed) inside a quote
 * whose delimiter avoids banned characters; the AR reads the numbers back. Text without numbers
 * reconstructs to the zero vector (mse_nrm = 1 at scale √d). A vector whose first component is
 * exactly 9 decodes without explanation tags.
 */
final class Fakes {
  private Fakes() {}

  static final class Av implements Verbalizer {
    final int d;
    final AtomicInteger decodes = new AtomicInteger();

    /** The options of every verbalize call, in order. */
    final List<VerbalizeOptions> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

    final long sleepMillisPerRow;

    Av(int d, long sleepMillisPerRow) {
      this.d = d;
      this.sleepMillisPerRow = sleepMillisPerRow;
    }

    @Override
    public List<Verbalization> verbalize(List<float[]> vectors, VerbalizeOptions o) {
      List<Verbalization> out = new ArrayList<>();
      verbalizeEach(vectors, o, out::add);
      return out;
    }

    /**
     * Each row's decodes handed over as the row is done, as an engine hands each as it finishes.
     */
    @Override
    public void verbalizeEach(
        List<float[]> vectors, VerbalizeOptions o, Consumer<Verbalization> onEach) {
      calls.add(o);
      String ban = o.banChars() == null ? "" : o.banChars();
      String open = ban.contains("\"") ? (ban.contains("'") ? "(" : "'") : "\"";
      String close = open.equals("(") ? ")" : open;
      for (int i = 0; i < vectors.size(); i++) {
        if (sleepMillisPerRow > 0) {
          try {
            Thread.sleep(sleepMillisPerRow);
          } catch (InterruptedException e) {
            throw new RuntimeException(e);
          }
        }
        float[] v = vectors.get(i);
        int row = o.rowLabel(i);
        for (int s = 0; s < o.samples(); s++) {
          decodes.incrementAndGet();
          Random rng = new Random(o.sampleSeed(row, s));
          StringBuilder nums = new StringBuilder();
          for (int k = 0; k < v.length; k++) {
            double x = v[k] + o.temperature() * 0.3 * rng.nextGaussian();
            if (k > 0) nums.append(' ');
            nums.append(String.format(Locale.ROOT, "%.4f", x));
          }
          String expl = "The values " + open + nums + close + " appear here.";
          boolean missing = v[0] == 9f;
          String text = missing ? expl : "<explanation>" + expl + "</explanation>";
          onEach.accept(
              new Verbalization(row, s, new int[0], 0, new int[0], text, missing ? null : expl));
        }
      }
    }

    @Override
    public int dModel() {
      return d;
    }
  }

  static final class Ar implements Reconstructor {
    private static final Pattern NUM = Pattern.compile("-?\\d+\\.\\d+");
    final int d;
    final AtomicInteger calls = new AtomicInteger();

    Ar(int d) {
      this.d = d;
    }

    @Override
    public float[][] reconstruct(List<String> explanations) {
      float[][] out = new float[explanations.size()][d];
      for (int i = 0; i < explanations.size(); i++) {
        calls.incrementAndGet();
        Matcher m = NUM.matcher(explanations.get(i));
        for (int k = 0; k < d && m.find(); k++) out[i][k] = Float.parseFloat(m.group());
      }
      return out;
    }

    @Override
    public int dModel() {
      return d;
    }

    @Override
    public Double mseNorm() {
      return Math.sqrt(d);
    }
  }

  static Nla nla(String name, int d, long sleep) {
    return new Nla(name, new Av(d, sleep), new Ar(d), "fake-" + name);
  }

  /** n random vectors of width d (mean offset so Var(v_nrm) is well away from the max). */
  static ActivationSet vectors(String name, int n, int d, long seed) {
    Random rng = new Random(seed);
    List<float[]> v = new ArrayList<>();
    List<String> ctx = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] x = new float[d];
      for (int k = 0; k < d; k++) x[k] = (float) (0.5 + rng.nextGaussian());
      v.add(x);
      ctx.add("document " + i + " says the values appear here in some context");
      ids.add("fake:" + i);
    }
    return new ActivationSet(name, v, ctx, ids, "hash-" + name);
  }
}
