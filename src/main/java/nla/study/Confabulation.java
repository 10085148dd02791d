package nla.study;

import java.util.List;

/**
 * §3: are the quotes copied from the context? Each explanation's longest common word run with its
 * own context, against a shuffled-context null (each explanation against another item's context, by
 * a seeded derangement).
 */
public final class Confabulation {
  private Confabulation() {}

  /** Runs at or above this many words count as a copy. */
  public static final int COPY_RUN = 6;

  /** Per decode: longest run with the true context and with the shuffled one. */
  public record Item(int trueRun, int nullRun, int nullPartner) {}

  /** The summary of one decode set. */
  public record Summary(
      int n,
      double medianRun,
      double p90Run,
      double shareAtLeast6,
      double nullMedianRun,
      double nullP90Run,
      double nullShareAtLeast6) {}

  /** Per-item runs; {@code seed} fixes the null's pairing. */
  public static List<Item> items(List<String> explanations, List<String> contexts, long seed) {
    if (explanations.size() != contexts.size())
      throw new IllegalArgumentException("explanations and contexts differ in length");
    int[] partner = Stats.derangement(explanations.size(), seed);
    return java.util.stream.IntStream.range(0, explanations.size())
        .mapToObj(
            i ->
                new Item(
                    WordOverlap.longest(explanations.get(i), contexts.get(i)).length(),
                    WordOverlap.longest(explanations.get(i), contexts.get(partner[i])).length(),
                    partner[i]))
        .toList();
  }

  public static Summary summarize(List<Item> items) {
    double[] t = items.stream().mapToDouble(Item::trueRun).toArray();
    double[] z = items.stream().mapToDouble(Item::nullRun).toArray();
    return new Summary(
        items.size(),
        Stats.median(t),
        Stats.quantile(t, 0.9),
        Stats.shareAtLeast(t, COPY_RUN),
        Stats.median(z),
        Stats.quantile(z, 0.9),
        Stats.shareAtLeast(z, COPY_RUN));
  }
}
