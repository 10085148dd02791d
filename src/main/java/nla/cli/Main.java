package nla.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import nla.backend.DeviceSpec;
import nla.io.UserError;
import nla.model.LanguageModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code nla} command line: parses, calls one API, prints. */
@Command(
    name = "nla",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "Natural Language Autoencoders: verbalize activations, reconstruct them, measure and study.",
    subcommands = {
      CommandLine.HelpCommand.class,
      DemoCommand.class,
      InspectCommand.class,
      ExtractCommand.class,
      GenerateCommand.class,
      DownloadCommand.class,
      TokenizeCommand.class,
      VerbalizeCommand.class,
      ReconstructCommand.class,
      BaselineCommand.class,
      RoundtripCommand.class,
      ExtractCorpusCommand.class,
      ActivationsCommand.class,
      EvalSetCommand.class,
      AlignCommand.class,
      StudyCommand.class,
      ReportCommand.class,
      SpansCommand.class,
      OverlapCommand.class,
      BenchCommand.class,
      LensCommand.class,
      ServeCommand.class
    })
public final class Main implements Runnable {

  /** Exit code for bad input: a one-line message, nothing lost. */
  public static final int EXIT_USER_ERROR = 2;

  @Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces for errors.")
  static boolean verbose;

  @Option(
      names = "--bf16",
      scope = CommandLine.ScopeType.INHERIT,
      description =
          "Opt-in reduced precision for every model the command runs: activations rounded to bf16"
              + " and multiplied on the CPU's AMX tiles, fp32 accumulation (about twice as fast"
              + " on many tokens at once; logits within 1%% of the fp32 engine's). Needs an AMX CPU"
              + " and the native kernels, which the build makes with gcc.")
  void bf16(boolean on) {
    LanguageModel.setBf16ByDefault(on);
  }

  @Option(
      names = "--device",
      scope = CommandLine.ScopeType.INHERIT,
      paramLabel = "DEVICE",
      description =
          "Where every model the command runs goes: auto (default, or $NLA_DEVICE: the first GPU"
              + " when one is usable and the model fits, else the CPU), cpu, cuda, cuda:N, or"
              + " cuda:N,M,... to spread a model over several GPUs. On a GPU weights and products"
              + " are bf16 with fp32 accumulation, as transformers in bf16.")
  void device(String device) {
    try {
      LanguageModel.setDefaultDevice(DeviceSpec.parse(device));
    } catch (UserError e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns the exit code; tests call this directly. */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  public static CommandLine commandLine() {
    // --bf16 is process-wide state for the models a command loads: it lives from parsing to the end
    // of this command line's execution, never into a later one in the same JVM (tests run many).
    LanguageModel.setBf16ByDefault(false);
    LanguageModel.setDefaultDevice(null);
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionStrategy(
        parseResult -> {
          try {
            return new CommandLine.RunLast().execute(parseResult);
          } finally {
            LanguageModel.setBf16ByDefault(false);
            LanguageModel.setDefaultDevice(null);
          }
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          Throwable cause = ex;
          while (!(cause instanceof UserError) && cause.getCause() != null)
            cause = cause.getCause();
          if (cause instanceof UserError userError) {
            if (verbose) userError.printStackTrace(commandLine.getErr());
            commandLine.getErr().println("nla: " + oneLine(userError.getMessage()));
            return EXIT_USER_ERROR;
          }
          // A path the user named that the file system refuses (a file where a folder must go, a
          // folder where a file must go, no permission, a full disk): its message names the path
          // and the reason, which is all there is to say, wherever in the code it surfaced.
          Throwable fs = ex;
          while (!(fs instanceof FileSystemException) && fs.getCause() != null) fs = fs.getCause();
          if (fs instanceof FileSystemException fileError) {
            if (verbose) fileError.printStackTrace(commandLine.getErr());
            commandLine.getErr().println("nla: " + oneLine(describe(fileError)));
            return EXIT_USER_ERROR;
          }
          // A full disk wherever else it surfaced (a manifest, a summary, a report): the OS's
          // reason is the whole story, and every output is written atomically, so nothing is torn.
          for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof java.io.IOException io && diskFull(io)) {
              if (verbose) io.printStackTrace(commandLine.getErr());
              commandLine
                  .getErr()
                  .println(
                      "nla: "
                          + oneLine(io.getMessage())
                          + " (the disk is full: free space and rerun; finished work is kept)");
              return EXIT_USER_ERROR;
            }
          }
          throw ex;
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          // One line, like every other user error: the message, then where to look.
          CommandLine c = ex.getCommandLine();
          String clash =
              ex instanceof CommandLine.MutuallyExclusiveArgsException
                      || ex instanceof CommandLine.MaxValuesExceededException
                  ? exclusiveClash(c.getCommandSpec(), args)
                  : null;
          c.getErr()
              .println(
                  "nla: "
                      + oneLine(clash != null ? clash : ex.getMessage())
                      + " (see '"
                      + c.getCommandSpec().qualifiedName()
                      + " --help')");
          return EXIT_USER_ERROR;
        });
    return cl;
  }

  /**
   * Two inputs of one exclusive group given together, worded as picocli words a clash of plain
   * options ({@code --text=T, --token-ids=IDS are mutually exclusive (specify only one)}), also
   * when one sits in a nested group ({@link TextInput}'s declared-once inputs), where picocli would
   * list the whole group or say "expected only one match". Null when {@code args} hold no such
   * clash.
   */
  static String exclusiveClash(CommandLine.Model.CommandSpec command, String[] args) {
    for (CommandLine.Model.ArgGroupSpec group : command.argGroups()) {
      if (!group.exclusive()) continue;
      List<String> given = new ArrayList<>();
      for (CommandLine.Model.OptionSpec option : group.allOptionsNested()) {
        boolean present = false;
        for (String arg : args)
          for (String name : option.names())
            present |= arg.equals(name) || arg.startsWith(name + "=");
        if (present) given.add(option.longestName() + "=" + option.paramLabel());
      }
      if (given.size() >= 2)
        return "Error: " + String.join(", ", given) + " are mutually exclusive (specify only one)";
    }
    return null;
  }

  static boolean diskFull(java.io.IOException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("No space left on device") || m.contains("Disk quota exceeded");
  }

  private static String describe(FileSystemException e) {
    String reason =
        e instanceof NoSuchFileException
            ? "no such file or folder"
            : e instanceof FileAlreadyExistsException
                ? "already exists"
                : e instanceof AccessDeniedException
                    ? "permission denied"
                    : e.getReason() == null ? e.getClass().getSimpleName() : e.getReason();
    return e.getFile() == null ? e.getMessage() : e.getFile() + ": " + reason;
  }

  private static String oneLine(String message) {
    return message == null ? "error" : message.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  /** The version comes from the jar manifest, written by the build. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {
        "nla " + (v == null ? "dev" : v),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
      };
    }
  }
}
