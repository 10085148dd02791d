package nla.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where a command's text comes from, as an exclusive group ({@code @ArgGroup(exclusive = true,
 * multiplicity = "1")}): {@code --text} or {@code --text-file}, declared here once. Commands that
 * also take ids or a chat turn use the subclasses, which add that one option (picocli reads a
 * group's inherited options; a group cannot hold mixins).
 */
class TextInput {
  @Option(names = "--text", paramLabel = "T", description = "The text.")
  String text;

  @Option(names = "--text-file", paramLabel = "F", description = "Read the text (UTF-8) from F.")
  Path textFile;

  /** {@code --text}, {@code --text-file} or {@code --token-ids}. */
  static class OrTokenIds extends TextInput {
    @Option(names = "--token-ids", paramLabel = "IDS", description = "Comma-separated token ids.")
    String tokenIds;
  }

  /** {@code --text}, {@code --text-file} or {@code --chat}. */
  static class OrChat extends TextInput {
    @Option(
        names = "--chat",
        paramLabel = "T",
        description =
            "T as one user message through the model's chat template, with the generation prompt.")
    String chat;
  }
}
