package nla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.text.ChatMessage;
import nla.text.Encoding;
import nla.text.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code nla tokenize}: a model's tokenizer on one text, as Hugging Face would tokenize it. */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = {
      "Tokenize a text with a model's tokenizer (Hugging Face semantics).",
      "Prints ids, tokens, and offsets [start, end) in Unicode code points (Python string"
          + " indices)."
    })
public final class TokenizeCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CheckpointFlags.Model model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  TextInput input;

  @Option(
      names = "--chat",
      description = {
        "Wrap the text as one user message through the model's chat template, with the"
            + " generation prompt (= apply_chat_template(tokenize=True,"
            + " add_generation_prompt=True)); offsets then refer to the rendered text, printed as"
            + " \"rendered\"."
      })
  boolean chat;

  @Option(
      names = "--no-special",
      description = {
        "Do not add the tokenizer's special tokens (BOS for Gemma and Llama). No effect with"
            + " --chat: the template writes its own."
      })
  boolean noSpecial;

  @Option(
      names = "--template-var",
      paramLabel = "KEY=VALUE",
      description = {
        "A string variable for the chat template, e.g. date_string=\"05 Mar 2026\" to pin"
            + " Llama 3.x's \"Today Date\". Repeatable."
      })
  List<String> templateVars = List.of();

  @Option(names = "--json", description = "Print JSON: {\"ids\", \"tokens\", \"offsets\"}.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Tokenizer tokenizer = Tokenizer.load(ModelPaths.resolve(model.dir));
    if (!templateVars.isEmpty()) tokenizer = tokenizer.withTemplateVariables(parseVars());
    String text = input.text != null ? input.text : readTextFile(input.textFile);
    String rendered = null;
    Encoding encoding;
    if (chat) {
      rendered = tokenizer.renderChat(List.of(ChatMessage.user(text)), true);
      encoding = tokenizer.encode(rendered, false); // the template already wrote BOS
    } else {
      encoding = tokenizer.encode(text, !noSpecial);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(toJson(encoding, rendered)));
    } else {
      printTable(out, encoding, chat ? rendered : text);
    }
    out.flush();
    return 0;
  }

  private Map<String, Object> parseVars() {
    Map<String, Object> vars = new LinkedHashMap<>();
    for (String kv : templateVars) {
      int eq = kv.indexOf('=');
      if (eq <= 0) throw new UserError("--template-var: '" + kv + "' is not KEY=VALUE");
      vars.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return vars;
  }

  private static String readTextFile(Path file) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
          .toString();
    } catch (NoSuchFileException e) {
      throw new UserError("--text-file: " + file + ": no such file");
    } catch (CharacterCodingException e) {
      throw new UserError("--text-file: " + file + ": not UTF-8 text");
    } catch (IOException e) {
      throw new UserError("--text-file: " + file + ": cannot read: " + e.getMessage());
    }
  }

  static ObjectNode toJson(Encoding e, String rendered) {
    ObjectNode out = new ObjectMapper().createObjectNode();
    ArrayNode ids = out.putArray("ids");
    for (int id : e.ids()) ids.add(id);
    ArrayNode tokens = out.putArray("tokens");
    for (String t : e.tokens()) tokens.add(t);
    ArrayNode offsets = out.putArray("offsets");
    for (int[] o : e.offsets()) offsets.addArray().add(o[0]).add(o[1]);
    if (rendered != null) out.put("rendered", rendered);
    return out;
  }

  private static void printTable(PrintWriter out, Encoding e, String text) {
    int[] codePoints = text.codePoints().toArray();
    out.printf("%d tokens%n", e.size());
    out.printf("%6s  %8s  %-13s  %-24s  %s%n", "pos", "id", "offsets", "token", "text");
    for (int i = 0; i < e.size(); i++) {
      int[] o = e.offsets()[i];
      String piece = new String(codePoints, o[0], o[1] - o[0]);
      out.printf(
          "%6d  %8d  %-13s  %-24s  %s%n",
          i, e.ids()[i], "[" + o[0] + ", " + o[1] + ")", visible(e.tokens()[i]), visible(piece));
    }
  }

  /** Control characters and whitespace other than a plain space, shown as escapes. */
  private static String visible(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                  if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", c));
                  else sb.appendCodePoint(c);
                }
              }
            });
    return sb.toString();
  }
}
