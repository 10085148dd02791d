package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every help text reads as a newcomer needs it: the command list shows each command's first
 * description line, so that line is a whole sentence; every option and parameter says what it is
 * (not just its default) under a readable label.
 */
class HelpTextTest {
  private static final Set<String> STANDARD = Set.of("--help", "--version", "--verbose");

  static List<CommandLine> allCommands(CommandLine cl) {
    List<CommandLine> all = new ArrayList<>();
    all.add(cl);
    for (CommandLine sub : cl.getSubcommands().values())
      if (!all.contains(sub) && sub.getCommandSpec().userObject() != null)
        all.addAll(allCommands(sub));
    return all;
  }

  @Test
  void everyDescriptionLineIsAWholeSentence() {
    List<String> problems = new ArrayList<>();
    for (CommandLine cl : allCommands(Main.commandLine())) {
      if (cl.getCommandName().equals("help")) continue;
      String name = cl.getCommandSpec().qualifiedName();
      String[] description = cl.getCommandSpec().usageMessage().description();
      if (description.length == 0) problems.add(name + ": no description");
      for (String line : description)
        if (!line.strip().endsWith(".")) problems.add(name + ": cut line \"" + line + "\"");
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void everyOptionSaysWhatItIsUnderAReadableLabel() {
    List<String> problems = new ArrayList<>();
    for (CommandLine cl : allCommands(Main.commandLine())) {
      String name = cl.getCommandSpec().qualifiedName();
      List<ArgSpec> args = new ArrayList<>(cl.getCommandSpec().args());
      for (ArgSpec arg : args) {
        String label =
            arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel() + " (parameter)";
        if (arg instanceof OptionSpec o && STANDARD.contains(o.longestName())) continue;
        String text = String.join(" ", arg.description()).strip();
        if (text.isEmpty() || text.startsWith("Default"))
          problems.add(name + " " + label + ": says nothing but \"" + text + "\"");
        if (arg.typeInfo().isBoolean()) continue;
        if (arg.paramLabel().startsWith("<"))
          problems.add(name + " " + label + ": label " + arg.paramLabel());
      }
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void topLevelCommandListShowsNoCutSentence() {
    StringWriter out = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    assertEquals(0, cl.execute("--help"));
    String commands = out.toString().substring(out.toString().indexOf("Commands:"));
    // Each entry is a command name, then its summary (possibly wrapped); each summary ends in '.'.
    for (String entry : commands.split("\\R(?=  \\S)"))
      if (!entry.startsWith("Commands:"))
        assertTrue(entry.strip().endsWith("."), "cut summary in nla --help: " + entry);
  }

  @Test
  void theTextInputsAreDeclaredOnceAndAClashNamesTheTwoGiven() {
    var main = Main.commandLine();
    // One declaration each (the field picocli read it from), whichever command takes it.
    java.util.Map<String, java.util.List<String>> takers =
        java.util.Map.of(
            "--text", List.of("extract", "lens", "tokenize"),
            "--text-file", List.of("extract", "lens", "tokenize"),
            "--token-ids", List.of("extract", "generate"),
            "--chat", List.of("lens", "generate"));
    takers.forEach(
        (option, commands) -> {
          Set<Object> declarations = new java.util.HashSet<>();
          for (String command : commands)
            declarations.add(
                main.getSubcommands()
                    .get(command)
                    .getCommandSpec()
                    .findOption(option)
                    .userObject());
          assertEquals(1, declarations.size(), option + " declared " + declarations);
        });

    // A clash reads as picocli words one between plain options, nested group or not.
    String[][] clashes = {
      {"generate", "--model", "m", "--chat", "a", "--prompt", "b"},
      {"generate", "--model", "m", "--token-ids", "1", "--chat", "a"},
      {"extract", "--model", "m", "--layer", "1", "--out", "o", "--token-ids", "1", "--text", "a"},
      {"lens", "--base", "m", "--av", "m", "--chat", "a", "--text-file", "b"}
    };
    String[] expected = {
      "--chat=T, --prompt=T",
      "--chat=T, --token-ids=IDS",
      "--text=T, --token-ids=IDS",
      "--text-file=F, --chat=T"
    };
    for (int i = 0; i < clashes.length; i++) {
      CliRun r = CliRun.run(clashes[i]);
      assertEquals(2, r.code(), r.err());
      assertEquals(
          "nla: Error: "
              + expected[i]
              + " are mutually exclusive (specify only one) (see 'nla "
              + clashes[i][0]
              + " --help')",
          r.err().strip());
    }
  }
}
