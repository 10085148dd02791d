package nla.cli;

import nla.core.VerbalizeOptions;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.model.SamplingParams;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The AV's sampling flags, shared by {@code verbalize} and {@code roundtrip}. */
final class SamplingFlags {
  @Mixin DecodingFlags decoding;

  @Option(
      names = "--samples",
      paramLabel = "N",
      defaultValue = "1",
      description = "Decodes per vector. Default: ${DEFAULT-VALUE}.")
  int samples;

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
      description = "Decodes generated together. Default: 16 on the CPU, 256 on a GPU.")
  Integer batchSize;

  /**
   * {@code --batch-size}, else the default for the device the models go to (where no loaded model
   * says it: a command that has one leaves it at the model's own default when the option is
   * absent).
   */
  int batchSize() {
    return batchSize != null ? batchSize : LanguageModel.defaultBatch();
  }

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

  /** The AV's options from these flags; a bad flag is a user error naming it. */
  VerbalizeOptions options(int[] rowLabels) {
    SamplingParams decode = decoding.params();
    if (samples < 1) throw new UserError("--samples: must be >= 1, got " + samples);
    // An explanation needs at least one token (generate may continue a prompt by none).
    if (decode.maxNewTokens() < 1)
      throw new UserError("--max-new-tokens: must be >= 1, got " + decode.maxNewTokens());
    return new VerbalizeOptions(
        decode.temperature(),
        decode.topP(),
        decode.topK(),
        decode.seed(),
        samples,
        decode.maxNewTokens(),
        decode.ignoreEos(),
        banChars,
        prompt,
        rowLabels,
        null);
  }
}
