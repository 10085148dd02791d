package nla;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.function.IntToDoubleFunction;
import nla.backend.Sampler;
import nla.model.LanguageModel;
import nla.model.SequenceInput;

/**
 * Greedy decoding on the GPU against a reference path of transformers in bf16 (the {@code greedy}
 * entries of {@code golden/engine-cuda} and {@code golden/nla-cuda}: {@code output_ids} and the
 * reference's {@code top2_gaps} at each step).
 *
 * <p>Compared teacher-forced: the reference's path fed back after the prompt in one forward, so
 * every step is compared on its own. A free-running path leaves the reference at its first near
 * tie, and on the tiny random fixtures (logits of ±hundreds, bf16 steps of 1–2) that comes within a
 * few steps; how far it follows is reported, not bounded.
 */
public final class GreedyAgreement {
  private GreedyAgreement() {}

  /** A forced comparison's steps: those whose gap cleared the margin (all equal), those equal. */
  public record Forced(int compared, int agreed, int steps) {}

  /**
   * Our logits at every position of {@code prompt} (input embeddings) followed by the embeddings of
   * {@code path} but its last token: row {@code prompt.length - 1 + s} chooses step s.
   */
  public static float[][] forcedLogits(LanguageModel lm, float[][] prompt, int[] path) {
    float[][] next = lm.embed(Arrays.copyOf(path, Math.max(0, path.length - 1)));
    float[][] input = Arrays.copyOf(prompt, prompt.length + next.length);
    System.arraycopy(next, 0, input, prompt.length, next.length);
    return lm.logits(SequenceInput.ofEmbeddings(input));
  }

  /**
   * At each step s, our choice from {@code logits[promptLength - 1 + s]} (the first maximum, as
   * greedy decoding takes it, {@code banned} ids excluded) equals the reference's token wherever
   * its top-2 gap exceeds {@code margin(s)}: a gap wider than bf16 arithmetic moves a logit is a
   * choice bf16 does not overturn.
   */
  public static Forced assertForced(
      JsonNode greedy,
      float[][] logits,
      int promptLength,
      IntToDoubleFunction margin,
      int[] banned,
      String where) {
    int[] path = GoldenFixtures.ints(greedy.get("output_ids"));
    JsonNode gaps = greedy.get("top2_gaps");
    int compared = 0, agreed = 0;
    for (int s = 0; s < path.length; s++) {
      float[] row = logits[promptLength - 1 + s];
      if (banned.length > 0) {
        row = row.clone();
        for (int id : banned) row[id] = Float.NEGATIVE_INFINITY;
      }
      int ours = Sampler.argmax(row);
      if (ours == path[s]) agreed++;
      if (gaps.get(s).asDouble() > margin.applyAsDouble(s)) {
        assertEquals(
            path[s],
            ours,
            where + " step " + s + " (forced; margin " + margin.applyAsDouble(s) + ")");
        compared++;
      }
    }
    return new Forced(compared, agreed, path.length);
  }

  /** How many of the reference's first tokens our free-running path repeats. */
  public static int sharedPrefix(JsonNode greedy, int[] ours) {
    int[] expected = GoldenFixtures.ints(greedy.get("output_ids"));
    int same = 0;
    while (same < expected.length && same < ours.length && expected[same] == ours[same]) same++;
    return same;
  }
}
