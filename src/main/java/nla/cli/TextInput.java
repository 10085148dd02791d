package nla.cli;

import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Where a command's text comes from, as an exclusive group ({@code @ArgGroup(exclusive = true,
 * multiplicity = "1")}): {@code --text} or {@code --text-file}, declared here once. Commands that
 * also take ids or a chat turn use the subclasses, which add that input; {@code generate} takes
 * {@link Prompt} ({@code --chat}, {@code --prompt} or {@code --token-ids}).
 *
 * <p>{@code --token-ids}, {@code --chat} and {@code --prompt} are each declared once, in a group of
 * their own ({@link TokenIds}, {@link Chat}, {@link RawPrompt}) that the command's group nests: a
 * group cannot hold mixins, and one line of subclasses cannot give {@code extract} ids, {@code
 * lens} a chat turn and {@code generate} both without the text. {@link Main} words a clash between
 * nested inputs as picocli words one between plain options.
 */
class TextInput {
  @Option(names = "--text", paramLabel = "T", description = "The text.")
  String text;

  @Option(names = "--text-file", paramLabel = "F", description = "Read the text (UTF-8) from F.")
  Path textFile;

  /** {@code --text}, {@code --text-file} or {@code --token-ids}. */
  static class OrTokenIds extends TextInput {
    @ArgGroup(exclusive = true, multiplicity = "1")
    TokenIds tokenIds;

    /** The ids as given, or null. */
    String tokenIds() {
      return tokenIds == null ? null : tokenIds.ids;
    }
  }

  /** {@code --text}, {@code --text-file} or {@code --chat}. */
  static class OrChat extends TextInput {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Chat chat;

    /** The chat turn as given, or null. */
    String chat() {
      return chat == null ? null : chat.text;
    }
  }

  /** A prompt to continue: {@code --chat}, {@code --prompt} or {@code --token-ids}. */
  static final class Prompt {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Chat chat;

    // A nested group like the other two, so that usage lists the three in this order.
    @ArgGroup(exclusive = true, multiplicity = "1")
    RawPrompt prompt;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TokenIds tokenIds;

    String chat() {
      return chat == null ? null : chat.text;
    }

    String prompt() {
      return prompt == null ? null : prompt.text;
    }

    String tokenIds() {
      return tokenIds == null ? null : tokenIds.ids;
    }
  }

  /** {@code --token-ids IDS}. */
  static final class TokenIds {
    @Option(
        names = "--token-ids",
        required = true,
        paramLabel = "IDS",
        description = "Comma-separated token ids.")
    String ids;
  }

  /** {@code --chat T}. */
  static final class Chat {
    @Option(
        names = "--chat",
        required = true,
        paramLabel = "T",
        description =
            "T as one user message through the model's chat template, with the generation prompt.")
    String text;
  }

  /** {@code --prompt T}. */
  static final class RawPrompt {
    @Option(
        names = "--prompt",
        required = true,
        paramLabel = "T",
        description = "Raw text (special tokens added).")
    String text;
  }
}
