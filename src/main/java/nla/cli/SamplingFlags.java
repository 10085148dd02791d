package nla.cli;

import nla.core.VerbalizeOptions;
import picocli.CommandLine.Option;

/** The AV's sampling flags, shared by {@code verbalize} and {@code roundtrip}. */
final class SamplingFlags {
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
      description = "0 = off (default).")
  int topK;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "0",
      description = "Seed; each (row, sample) gets its own stream. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--samples",
      paramLabel = "N",
      defaultValue = "1",
      description = "Decodes per vector. Default: ${DEFAULT-VALUE}.")
  int samples;

  @Option(
      names = "--max-new-tokens",
      paramLabel = "N",
      defaultValue = "200",
      description = "Most tokens each decode may generate. Default: ${DEFAULT-VALUE}.")
  int maxNewTokens;

  @Option(names = "--ignore-eos", description = "Generate until --max-new-tokens even past EOS.")
  boolean ignoreEos;

  @Option(
      names = "--ban-chars",
      paramLabel = "CHARS",
      description =
          "Ban every token whose text contains any of these characters (logit bias -1e9).")
  String banChars;

  @Option(
      names = "--prompt",
      paramLabel = "TEXT",
      description =
          "Custom user message containing <INJECT> where the vector goes (default: the sidecar's template).")
  String prompt;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "16",
      description = "Decodes generated together. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(
      names = "--date-string",
      paramLabel = "DATE",
      description =
          "Pin the chat template's date_string (the 'Today Date' line of Llama 3.x templates), e.g."
              + " \"26 Jul 2024\". Default: today, as Hugging Face does.")
  String dateString;

  /** Extra chat-template variables for the AV's canonical prompt. */
  java.util.Map<String, String> chatTemplateVariables() {
    return dateString == null ? java.util.Map.of() : java.util.Map.of("date_string", dateString);
  }

  VerbalizeOptions options(int[] rowLabels) {
    return new VerbalizeOptions(
        temperature,
        topP,
        topK,
        seed,
        samples,
        maxNewTokens,
        ignoreEos,
        banChars,
        prompt,
        rowLabels,
        null);
  }
}
