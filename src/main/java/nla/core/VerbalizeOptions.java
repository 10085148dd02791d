package nla.core;

import java.util.function.Consumer;
import nla.model.SamplingParams;

/**
 * How to verbalize.
 *
 * @param temperature 0 = greedy
 * @param topP nucleus mass, 1 = off
 * @param topK 0 = off
 * @param seed the run's seed; each (row, sample) draws from its own stream derived from it
 * @param samples decodes per vector
 * @param maxNewTokens generation budget per decode (reference default 200)
 * @param ignoreEos keep generating past EOS until {@code maxNewTokens}
 * @param banChars characters whose tokens are banned (contract §4); null or empty = none
 * @param customPrompt a user message containing {@code <INJECT>}; null = the sidecar's template
 * @param rowLabels the row number reported (and seeded) for each vector; null = 0..n-1
 * @param onRowError receives unusable rows; null = an unusable row is a UserError up front
 */
public record VerbalizeOptions(
    double temperature,
    double topP,
    int topK,
    long seed,
    int samples,
    int maxNewTokens,
    boolean ignoreEos,
    String banChars,
    String customPrompt,
    int[] rowLabels,
    Consumer<RowError> onRowError) {

  /** The reference's generation budget, the engine's default ({@link SamplingParams}). */
  public static final int DEFAULT_MAX_NEW_TOKENS = SamplingParams.DEFAULT_MAX_NEW_TOKENS;

  // Each caller checks its own input first, in its own words (the CLI's flags in DecodingFlags and
  // SamplingFlags, a plan's fields, the server's JSON fields); these are the record's invariants.
  public VerbalizeOptions {
    if (!(temperature >= 0) || Double.isInfinite(temperature))
      throw new IllegalArgumentException("temperature must be finite and >= 0: " + temperature);
    if (!(topP > 0 && topP <= 1))
      throw new IllegalArgumentException("top-p must be in (0, 1]: " + topP);
    if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0: " + topK);
    if (samples < 1) throw new IllegalArgumentException("samples must be >= 1: " + samples);
    if (maxNewTokens < 1)
      throw new IllegalArgumentException("max new tokens must be >= 1: " + maxNewTokens);
  }

  /** Greedy, one sample, 200 new tokens, stop at EOS, no bans, the canonical prompt. */
  public static VerbalizeOptions greedy() {
    return new VerbalizeOptions(
        0, 1, 0, 0, 1, DEFAULT_MAX_NEW_TOKENS, false, null, null, null, null);
  }

  public VerbalizeOptions withSampling(double temperature, double topP, int topK, long seed) {
    return new VerbalizeOptions(
        temperature,
        topP,
        topK,
        seed,
        samples,
        maxNewTokens,
        ignoreEos,
        banChars,
        customPrompt,
        rowLabels,
        onRowError);
  }

  public VerbalizeOptions withSamples(int samples) {
    return new VerbalizeOptions(
        temperature,
        topP,
        topK,
        seed,
        samples,
        maxNewTokens,
        ignoreEos,
        banChars,
        customPrompt,
        rowLabels,
        onRowError);
  }

  public VerbalizeOptions withMaxNewTokens(int maxNewTokens, boolean ignoreEos) {
    return new VerbalizeOptions(
        temperature,
        topP,
        topK,
        seed,
        samples,
        maxNewTokens,
        ignoreEos,
        banChars,
        customPrompt,
        rowLabels,
        onRowError);
  }

  public VerbalizeOptions withBanChars(String banChars) {
    return new VerbalizeOptions(
        temperature,
        topP,
        topK,
        seed,
        samples,
        maxNewTokens,
        ignoreEos,
        banChars,
        customPrompt,
        rowLabels,
        onRowError);
  }

  public VerbalizeOptions withCustomPrompt(String customPrompt) {
    return new VerbalizeOptions(
        temperature,
        topP,
        topK,
        seed,
        samples,
        maxNewTokens,
        ignoreEos,
        banChars,
        customPrompt,
        rowLabels,
        onRowError);
  }

  public VerbalizeOptions withRowLabels(int[] rowLabels) {
    return new VerbalizeOptions(
        temperature,
        topP,
        topK,
        seed,
        samples,
        maxNewTokens,
        ignoreEos,
        banChars,
        customPrompt,
        rowLabels,
        onRowError);
  }

  public VerbalizeOptions withRowErrors(Consumer<RowError> onRowError) {
    return new VerbalizeOptions(
        temperature,
        topP,
        topK,
        seed,
        samples,
        maxNewTokens,
        ignoreEos,
        banChars,
        customPrompt,
        rowLabels,
        onRowError);
  }

  /** The row number reported for vector {@code index}. */
  public int rowLabel(int index) {
    return rowLabels == null ? index : rowLabels[index];
  }

  /**
   * The seed of one (row, sample) decode: a SplitMix64 mix of the run seed, the row label and the
   * sample index, so a row's samples are the same whether it runs alone or among others.
   */
  public long sampleSeed(int row, int sample) {
    long z = seed;
    z = mix(z + 0x9E3779B97F4A7C15L * (row + 1L));
    z = mix(z + 0x9E3779B97F4A7C15L * (sample + 1L));
    return z;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
