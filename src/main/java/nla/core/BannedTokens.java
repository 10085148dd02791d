package nla.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * Generation-time character bans (contract §4, seed §2): a banned character set C bans every
 * vocabulary id whose single-token decode (special tokens rendered as their text) contains any
 * character of C, by a −1e9 logit bias at every step. Characters are code points, so a ban on an
 * astral character (emoji) works.
 */
public final class BannedTokens {
  /** The bias added to a banned token's logit: large enough that it is never sampled. */
  public static final float BAN_BIAS = -1e9f;

  private final IntFunction<String> tokenText;
  private final int vocabSize;
  private final Map<String, int[]> cache = new ConcurrentHashMap<>();

  /**
   * @param tokenText single-token decode, special tokens rendered as their text
   * @param vocabSize ids {@code 0..vocabSize-1} are scanned
   */
  public BannedTokens(IntFunction<String> tokenText, int vocabSize) {
    this.tokenText = tokenText;
    this.vocabSize = vocabSize;
  }

  /** The banned ids for a character set, computed once per set and kept. */
  public int[] bannedIds(String chars) {
    String key = canonical(chars);
    if (key.isEmpty()) return new int[0];
    return cache.computeIfAbsent(key, this::scan).clone();
  }

  /** The logit bias for a character set: every banned id → {@link #BAN_BIAS}. */
  public Map<Integer, Float> logitBias(String chars) {
    int[] ids = bannedIds(chars);
    if (ids.length == 0) return Map.of();
    Map<Integer, Float> bias = new LinkedHashMap<>();
    for (int id : ids) bias.put(id, BAN_BIAS);
    return Collections.unmodifiableMap(bias);
  }

  private int[] scan(String key) {
    var banned = key.codePoints().boxed().collect(java.util.stream.Collectors.toSet());
    int[] out = new int[vocabSize];
    int n = 0;
    for (int id = 0; id < vocabSize; id++) {
      String text = tokenText.apply(id);
      if (text == null || text.isEmpty()) continue;
      if (text.codePoints().anyMatch(banned::contains)) out[n++] = id;
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /** The set's code points sorted and deduplicated, so "ab" and "ba" share one scan. */
  private static String canonical(String chars) {
    if (chars == null) return "";
    StringBuilder sb = new StringBuilder();
    chars.codePoints().distinct().sorted().forEach(sb::appendCodePoint);
    return sb.toString();
  }
}
