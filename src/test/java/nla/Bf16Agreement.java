package nla;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far a result computed on the GPU (bf16 weights, products and KV cache, fp32 accumulation) may
 * lie from the CPU engine's (fp32 arithmetic on the same bf16 weights) on the same inputs and
 * seeds, and the comparison of two results field by field.
 *
 * <p>The bound comes from transformers itself: {@code tools/golden/make_nla_cuda.py} ran the three
 * tiny NLA pairs' ARs in bf16 and in fp32 on one H100 ({@code golden/nla-cuda}). The CPU engine
 * equals transformers fp32 ({@code NlaParityTest}); the GPU engine is held within {@value
 * #PARITY_FACTOR}× transformers' bf16-vs-fp32 distance of transformers bf16 ({@code
 * NlaGpuParityTest}); so by the triangle inequality GPU and CPU may differ by up to {@value
 * #TRIANGLE}× that spread ({@value #PARITY_FACTOR} + 1 + 0). The spreads read from the references:
 *
 * <ul>
 *   <li>cos: the largest |cos(bf16) − cos(fp32)| over every AR item of the three pairs;
 *   <li>a vector: the largest ‖bf16 − fp32‖ / ‖fp32‖ over the same items.
 * </ul>
 *
 * Everything else follows from cos: with both vectors scaled to norm s, {@code mse_nrm = 2 (s²/d)
 * (1 − cos)}, so mse_nrm moves by at most {@code 2 (s²/d)} times cos's bound and FVE = 1 − mse_nrm
 * / var_nrm by that over var_nrm. A mean, a bootstrap quantile (the same resamples on both, the
 * seed being the same) or a shuffled null of such values moves no further than the values; a
 * difference of two (a best-of-N gain) twice as far.
 *
 * <p>Decoding is compared exactly: the studies' verbalizer is the bundled demo pair's scripted AV,
 * whose logit for each token is 100·cos between two embedding rows, and its top-2 gaps along every
 * path the studies take are wide: transformers fp32's ({@code golden/nla/demo}) are ≥ 29.5 along
 * the plain greedy path and ≥ 11.37 along the repeating cycle ("… model sayshello scripted demo:
 * this toy …") that a quote ban sends it into; the CPU engine's along the quote-ban study's two
 * banned paths are ≥ 11.37 too. bf16 moves a logit of that size by about 100 · 2⁻⁸ ≈ 0.4 at most.
 * (The reference's one near tie, 0.22, comes only with '&lt;' banned, which no study bans.)
 * Sampling at temperature 1 picks the next script token with probability 1 − 10⁻¹² or closer. So a
 * differing explanation is a fault, not a tie.
 */
public final class Bf16Agreement {
  /**
   * NlaGpuParityTest's bound on the GPU's distance from transformers bf16, in spreads (AR_BOUND).
   */
  public static final double PARITY_FACTOR = 2.0;

  /** GPU vs CPU in units of transformers' bf16-vs-fp32 spread (see the class comment). */
  public static final double TRIANGLE = PARITY_FACTOR + 1;

  private static final List<String> PAIRS = List.of("qwen2.5", "gemma3", "llama3");

  private Bf16Agreement() {}

  /** The largest |cos(bf16) − cos(fp32)| transformers showed on any tiny pair's AR item. */
  public static double cosSpread() {
    double worst = 0;
    for (String pair : PAIRS)
      for (JsonNode item : reference(pair).get("ar").get("items"))
        worst =
            Math.max(
                worst,
                Math.abs(
                    item.get("bf16").get("cos").asDouble()
                        - item.get("fp32").get("cos").asDouble()));
    assertTrue(worst > 0, "the nla-cuda references show no bf16-vs-fp32 spread in cos");
    return worst;
  }

  /** The largest ‖bf16 − fp32‖ / ‖fp32‖ transformers showed on any tiny pair's AR prediction. */
  public static double vectorSpread() {
    double worst = 0;
    for (String pair : PAIRS)
      for (JsonNode item : reference(pair).get("ar").get("items"))
        worst = Math.max(worst, item.get("bf16_vs_fp32").asDouble());
    assertTrue(worst > 0, "the nla-cuda references show no bf16-vs-fp32 spread in AR predictions");
    return worst;
  }

  private static JsonNode reference(String pair) {
    return GoldenFixtures.json("nla-cuda/" + pair + "/reference.json");
  }

  /** How a field of a result compares between the CPU and the GPU. */
  public enum Kind {
    /** Computed from the inputs alone (or on the host from equal inputs): equal. */
    EXACT,
    COS,
    MSE_NRM,
    FVE,
    /** A difference of two FVE values. */
    FVE_DIFFERENCE,
    /** Each element relative to its array's norm, within the vector spread bound. */
    VECTOR,
    /** A vector's norm, relative to the CPU's, within the vector bound (|‖a‖ − ‖b‖| ≤ ‖a − b‖). */
    NORM,
    /** A measurement of time, not of the model. */
    IGNORED
  }

  /** The bounds of one comparison and what it has compared so far. */
  public static final class Comparison {
    private final Map<String, Kind> kinds;
    private final Map<Kind, Double> bounds = new LinkedHashMap<>();
    private final Map<Kind, Integer> counts = new TreeMap<>();
    private final Map<Kind, Double> worst = new TreeMap<>();
    private int texts;

    /**
     * @param kinds how each numeric field (by name; an array's elements by the array's name) of the
     *     results compares; a floating-point field not named here fails the comparison, so a new
     *     field of a result gets a stated bound
     * @param mseScale the AR's mse_scale s
     * @param d the vectors' width
     * @param varNrm the smallest FVE denominator among the results' vector sets
     */
    public Comparison(Map<String, Kind> kinds, double mseScale, int d, double varNrm) {
      this.kinds = kinds;
      double cos = TRIANGLE * cosSpread();
      double mse = 2 * mseScale * mseScale / d * cos;
      bounds.put(Kind.EXACT, 1e-12);
      bounds.put(Kind.COS, cos);
      bounds.put(Kind.MSE_NRM, mse);
      bounds.put(Kind.FVE, mse / varNrm);
      bounds.put(Kind.FVE_DIFFERENCE, 2 * mse / varNrm);
      bounds.put(Kind.VECTOR, TRIANGLE * vectorSpread());
      bounds.put(Kind.NORM, TRIANGLE * vectorSpread());
    }

    public double bound(Kind kind) {
      return bounds.get(kind);
    }

    /**
     * Compares two JSON results: the same shape, equal strings, booleans and integers, and every
     * floating-point field within its kind's bound. {@code where} names the result in messages.
     */
    public void json(JsonNode cpu, JsonNode gpu, String where) {
      json(cpu, gpu, where, null);
    }

    /**
     * As {@link #json(JsonNode, JsonNode, String)} for a result that sits under the field {@code
     * context} elsewhere (a journal line of what a summary holds in an array of that name), so its
     * fields are looked up as they are there.
     */
    public void json(JsonNode cpu, JsonNode gpu, String where, String context) {
      walk(cpu, gpu, where, context, null);
    }

    /**
     * {@code field} is the name the node sits under (an array's elements, the array's), {@code
     * parent} the name its enclosing object sits under: a field's kind is looked up as {@code
     * parent.field} first, so one name can mean two things ({@code cells.fve}, {@code points.fve}).
     */
    private void walk(JsonNode cpu, JsonNode gpu, String path, String field, String parent) {
      if (cpu.isObject()) {
        assertTrue(gpu.isObject(), path + ": the GPU's is " + gpu);
        assertEquals(names(cpu), names(gpu), path + ": fields");
        for (Iterator<Map.Entry<String, JsonNode>> it = cpu.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          walk(e.getValue(), gpu.get(e.getKey()), path + "." + e.getKey(), e.getKey(), field);
        }
      } else if (cpu.isArray()) {
        assertTrue(gpu.isArray(), path + ": the GPU's is " + gpu);
        assertEquals(cpu.size(), gpu.size(), path + ": length");
        if (kind(field, parent) == Kind.VECTOR) {
          vector(cpu, gpu, path);
          return;
        }
        for (int i = 0; i < cpu.size(); i++)
          walk(cpu.get(i), gpu.get(i), path + "[" + i + "]", field, parent);
      } else if (cpu.isFloatingPointNumber()) {
        assertTrue(gpu.isNumber(), path + ": the GPU's is " + gpu);
        Kind kind = kind(field, parent);
        if (kind == null) fail(path + ": no bound stated for the field '" + field + "'");
        if (kind != Kind.IGNORED) number(cpu.asDouble(), gpu.asDouble(), kind, path);
      } else {
        // Strings (explanations, names), booleans, integers (counts, ids) and nulls: equal.
        assertEquals(cpu, gpu, path);
        if (cpu.isTextual()) texts++;
      }
    }

    private Kind kind(String field, String parent) {
      if (field == null) return null;
      Kind qualified = parent == null ? null : kinds.get(parent + "." + field);
      return qualified != null ? qualified : kinds.get(field);
    }

    private static List<String> names(JsonNode n) {
      List<String> out = new java.util.ArrayList<>();
      n.fieldNames().forEachRemaining(out::add);
      return out;
    }

    /** One number within {@code kind}'s bound (EXACT: to a relative 1e-12; NORM: relative). */
    public void number(double cpu, double gpu, Kind kind, String where) {
      double bound = bounds.get(kind);
      if (kind == Kind.EXACT) bound *= Math.max(1, Math.abs(cpu));
      if (kind == Kind.NORM) bound *= Math.abs(cpu);
      double difference = Math.abs(cpu - gpu);
      assertTrue(
          difference <= bound,
          String.format(
              Locale.ROOT,
              "%s: CPU %.9g, GPU %.9g, |difference| %.3g > bound %.3g (%s)",
              where,
              cpu,
              gpu,
              difference,
              bound,
              kind));
      counts.merge(kind, 1, Integer::sum);
      worst.merge(kind, bound > 0 ? difference / bound : 0, Math::max);
    }

    private void vector(JsonNode cpu, JsonNode gpu, String where) {
      float[] a = new float[cpu.size()];
      float[] b = new float[gpu.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) cpu.get(i).asDouble();
        b[i] = (float) gpu.get(i).asDouble();
      }
      vector(a, b, where);
    }

    /** ‖gpu − cpu‖ / ‖cpu‖ within the vector bound. */
    public void vector(float[] cpu, float[] gpu, String where) {
      assertEquals(cpu.length, gpu.length, where + ": width");
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < cpu.length; i++) {
        double e = (double) gpu[i] - cpu[i];
        diff += e * e;
        norm += (double) cpu[i] * cpu[i];
      }
      double relative = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
      double bound = bounds.get(Kind.VECTOR);
      assertTrue(
          relative <= bound,
          String.format(
              Locale.ROOT, "%s: ‖GPU − CPU‖ / ‖CPU‖ = %.3g > bound %.3g", where, relative, bound));
      counts.merge(Kind.VECTOR, 1, Integer::sum);
      worst.merge(Kind.VECTOR, relative / bound, Math::max);
    }

    /** How many numbers of a kind were compared. */
    public int compared(Kind kind) {
      return counts.getOrDefault(kind, 0);
    }

    /** How many strings (explanations among them) were compared equal. */
    public int textsCompared() {
      return texts;
    }

    /** The bounds, the counts compared and the worst difference as a share of its bound. */
    public String summary() {
      StringBuilder s = new StringBuilder();
      s.append(texts).append(" strings equal");
      for (Map.Entry<Kind, Integer> e : counts.entrySet()) {
        Kind k = e.getKey();
        s.append(
            String.format(
                Locale.ROOT,
                "; %s: %d within %.3g (worst %.2f of it)",
                k,
                e.getValue(),
                bounds.get(k),
                worst.get(k)));
      }
      return s.toString();
    }
  }
}
