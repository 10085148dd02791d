package nla.cli;

import nla.io.UserError;
import nla.model.SamplingParams;
import picocli.CommandLine.Option;

/**
 * How one decode samples: the flags shared by {@code generate} and (through {@link SamplingFlags})
 * the AV commands, with their checks: {@link #params()} refuses a bad value naming the flag.
 */
final class DecodingFlags {
  @Option(
      names = "--temperature",
      paramLabel = "X",
      defaultValue = "0",
      description = "0 = greedy (default).")
  double temperature;

  @Option(
      names = "--top-p",
      paramLabel = "P",
      defaultValue = "1",
      description = "Nucleus mass; 1 = off (default).")
  double topP;

  @Option(
      names = "--top-k",
      paramLabel = "K",
      defaultValue = "0",
      description = "Keep the K most likely; 0 = off (default).")
  int topK;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "0",
      description =
          "Sampling seed; with several decodes each (row, sample) gets its own stream. Default:"
              + " ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--max-new-tokens",
      paramLabel = "N",
      defaultValue = "" + SamplingParams.DEFAULT_MAX_NEW_TOKENS,
      description = "Most tokens each decode may generate. Default: ${DEFAULT-VALUE}.")
  int maxNewTokens;

  @Option(names = "--ignore-eos", description = "Generate until --max-new-tokens even past EOS.")
  boolean ignoreEos;

  /** The engine's sampling parameters, with no logit bias; a bad flag is a user error. */
  SamplingParams params() {
    if (!(temperature >= 0) || Double.isInfinite(temperature))
      throw new UserError("--temperature: must be a finite number >= 0, got " + temperature);
    if (!(topP > 0 && topP <= 1)) throw new UserError("--top-p: must be in (0, 1], got " + topP);
    if (topK < 0) throw new UserError("--top-k: must be >= 0, got " + topK);
    if (maxNewTokens < 0)
      throw new UserError("--max-new-tokens: must be >= 0, got " + maxNewTokens);
    return new SamplingParams(
        temperature, topP, topK, seed, maxNewTokens, ignoreEos, java.util.Map.of());
  }
}
