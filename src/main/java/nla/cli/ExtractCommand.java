package nla.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import nla.io.ModelPaths;
import nla.io.Npy;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.model.ModelConfig;
import nla.model.SequenceInput;
import nla.text.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nla extract}: the residual stream after block K (transformers' hidden_states[K+1], no
 * final norm) for every token, as float32 [T, d] .npy.
 */
@Command(
    name = "extract",
    mixinStandardHelpOptions = true,
    description = {
      "Write the output of decoder block K for every token as float32 [T, d] .npy.",
      "Text is tokenized as the reference extractor does: special tokens added, no chat template."
    })
public final class ExtractCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CheckpointFlags.Model model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  TextInput.OrTokenIds input;

  @Option(
      names = "--layer",
      required = true,
      paramLabel = "K",
      description = "Block index (0-based); repeat for several layers.")
  List<Integer> layers;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "PATH",
      description = "Output .npy file; with several --layer, a directory receiving L{K}.npy.")
  Path out;

  @Option(
      names = "--max-length",
      paramLabel = "N",
      description =
          "Keep only the first N tokens (default: all of them; a text longer than the model's"
              + " context is refused).")
  Integer maxLength;

  @Override
  public Integer call() {
    if (maxLength != null && maxLength < 1)
      throw new UserError("--max-length must be >= 1, got " + maxLength);
    Args.requireNotAnInput(out, "--out", input.textFile, "--text-file");
    Path dir = ModelPaths.resolve(model.dir);
    int[] ids = promptIds(dir);
    if (maxLength != null && ids.length > maxLength) ids = Arrays.copyOf(ids, maxLength);
    // Checked before the model loads: positions past the trained context give activations that
    // mean nothing, so a long text is refused rather than extracted silently.
    int context = ModelConfig.load(dir).maxPositionEmbeddings();
    if (context > 0 && ids.length > context)
      throw new UserError(
          inputFlag()
              + ": "
              + ids.length
              + " tokens, longer than the model's context of "
              + context
              + " (max_position_embeddings); --max-length N keeps the first N tokens");
    int[] blocks = layers.stream().mapToInt(Integer::intValue).distinct().toArray();
    try (LanguageModel lm = LanguageModel.load(dir)) {
      int numLayers = lm.config().numLayers();
      for (int b : blocks)
        if (b < 0 || b >= numLayers)
          throw new UserError(
              "--layer " + b + " out of range: the model has blocks 0.." + (numLayers - 1));
      if (input.tokenIds() != null)
        Args.requireInVocabulary(ids, lm.config().vocabSize(), "--token-ids");
      float[][][] states = lm.hiddenStates(List.of(SequenceInput.ofIds(ids)), blocks).get(0);
      if (blocks.length == 1) {
        Npy.write(out, states[0]);
      } else {
        if (Files.isRegularFile(out)) {
          throw new UserError("--out " + out + ": several layers need a directory, not a file");
        }
        for (int i = 0; i < blocks.length; i++)
          Npy.write(out.resolve("L" + blocks[i] + ".npy"), states[i]);
      }
    }
    return 0;
  }

  private String inputFlag() {
    return input.tokenIds() != null ? "--token-ids" : input.text != null ? "--text" : "--text-file";
  }

  private int[] promptIds(Path dir) {
    if (input.tokenIds() != null) return Args.tokenIds(input.tokenIds(), "--token-ids");
    String text = input.text != null ? input.text : Args.readText(input.textFile, "--text-file");
    String flag = inputFlag();
    if (text.isEmpty()) throw new UserError(flag + ": the text is empty");
    // Contract §6: the base tokenizer's defaults, add_special_tokens=True, no chat template.
    int[] ids = Tokenizer.load(dir).encode(text, true).ids();
    if (ids.length == 0) throw new UserError(flag + ": the text encodes to no tokens");
    return ids;
  }
}
