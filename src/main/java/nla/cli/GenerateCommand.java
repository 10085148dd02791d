package nla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.model.Generation;
import nla.model.GenerationRequest;
import nla.model.LanguageModel;
import nla.model.SamplingParams;
import nla.model.SequenceInput;
import nla.text.ChatMessage;
import nla.text.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code nla generate}: continue a prompt with the KV-cached engine. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = "Continue a prompt: greedy (temperature 0) or sampled with a seed.")
public final class GenerateCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CheckpointFlags.Model model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  TextInput.Prompt input;

  @Mixin DecodingFlags decoding;

  @Option(names = "--json", description = "Print {prompt_ids, output_ids, text} as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    SamplingParams params = decoding.params();
    Path dir = ModelPaths.resolve(model.dir);
    Tokenizer tokenizer =
        input.tokenIds() == null || Files.isRegularFile(dir.resolve("tokenizer.json"))
            ? Tokenizer.load(dir)
            : null;
    int[] prompt = promptIds(tokenizer);
    Generation g;
    try (LanguageModel lm = LanguageModel.load(dir)) {
      if (input.tokenIds() != null)
        Args.requireInVocabulary(prompt, lm.config().vocabSize(), "--token-ids");
      g = lm.generate(List.of(new GenerationRequest(SequenceInput.ofIds(prompt), params))).get(0);
    }
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode out = mapper.createObjectNode();
    var p = out.putArray("prompt_ids");
    for (int id : prompt) p.add(id);
    var o = out.putArray("output_ids");
    for (int id : g.outputIds()) o.add(id);
    // Without a tokenizer (a --token-ids run on a bare model) there is no text to show.
    if (tokenizer == null) out.putNull("text");
    else out.put("text", tokenizer.decode(g.outputIds(), true));
    out.put("finish_reason", g.finishReason());
    spec.commandLine()
        .getOut()
        .println(json ? mapper.writeValueAsString(out) : out.toPrettyString());
    return 0;
  }

  private int[] promptIds(Tokenizer tokenizer) {
    if (input.tokenIds() != null) return Args.tokenIds(input.tokenIds(), "--token-ids");
    String flag = input.chat() != null ? "--chat" : "--prompt";
    String text = input.chat() != null ? input.chat() : input.prompt();
    if (text.isEmpty()) throw new UserError(flag + ": the text is empty");
    int[] ids =
        input.chat() != null
            // The template already emits BOS where the model wants one (contract trap: double BOS).
            ? tokenizer.applyChatTemplate(List.of(new ChatMessage("user", text)), true)
            : tokenizer.encode(text, true).ids();
    if (ids.length == 0) throw new UserError(flag + ": the text encodes to no tokens");
    return ids;
  }
}
