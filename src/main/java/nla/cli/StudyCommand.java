package nla.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.core.ActivationReconstructor;
import nla.core.ActivationVerbalizer;
import nla.core.VerbalizeOptions;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.study.Nla;
import nla.study.OneStudyPlan;
import nla.study.RunDir;
import nla.study.Studies;
import nla.study.Study;
import nla.study.StudyFlag;
import nla.study.StudyPlan;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nla study}: the studies of the seed report, each resumable in a run directory. {@code all}
 * runs a plan file; every other subcommand is one study of {@link Studies#ALL}, built from the
 * study's own flags ({@link Study#flags}) and run as the one-study plan they describe.
 */
@Command(
    name = "study",
    mixinStandardHelpOptions = true,
    description = {
      "Run the studies of the seed report (contract §7) into a run directory, resumably.",
      "Rerun the same command after an interruption and only unfinished items are computed."
          + " Then 'nla report RUN_DIR'."
    },
    subcommands = {StudyCommand.All.class})
final class StudyCommand implements Runnable {
  private CommandSpec spec;

  /** Called by picocli as it builds this command: adds one subcommand per registered study. */
  @Spec
  void addStudies(CommandSpec spec) {
    this.spec = spec;
    for (Study<?> study : Studies.ALL) spec.addSubcommand(study.name(), oneStudy(study));
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * Opens an NLA pair (directories or Hub repo ids) with the engine-backed AV and AR, each taking
   * the plan's {@code batch} at once: a batch's decodes run together on the AV (a GPU's throughput
   * grows with it up to hundreds) and its texts go through the AR in one pass.
   */
  static Nla openNla(String name, String av, String ar, int batch) {
    Path avDir = ModelPaths.resolve(av);
    Path arDir = ModelPaths.resolve(ar);
    ActivationReconstructor reconstructor =
        ActivationReconstructor.open(arDir).withBatchSize(batch);
    ActivationVerbalizer verbalizer = ActivationVerbalizer.open(avDir).withBatchSize(batch);
    return new Nla(
        name,
        verbalizer,
        reconstructor,
        RunDir.checkpointHash(avDir) + "+" + RunDir.checkpointHash(arDir));
  }

  /**
   * What computes a run's results: this version of nla in the arithmetic of the device the models
   * go to (asked once the plan's own {@code device:} is in force).
   */
  static String engine() {
    return "nla " + RunDir.toolVersion() + " on " + LanguageModel.describeDefaultArithmetic();
  }

  /** Options every one-study command shares. */
  static final class Common {
    @Option(
        names = "--out",
        required = true,
        paramLabel = "RUN_DIR",
        description = "Run directory (created, or resumed).")
    Path out;

    @Option(
        names = "--seed",
        paramLabel = "S",
        defaultValue = "42",
        description = "Seed of every random choice. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
        names = "--batch",
        paramLabel = "N",
        description =
            "Rows per AV/AR batch: decodes run together. Default: 16 on the CPU, 256 on a GPU.")
    Integer batch;

    @Option(
        names = "--limit",
        paramLabel = "N",
        description = "Use only the first N rows of each activation set.")
    Integer limit;

    @Option(
        names = "--max-new-tokens",
        paramLabel = "N",
        defaultValue = "" + VerbalizeOptions.DEFAULT_MAX_NEW_TOKENS,
        description = "AV generation budget per decode. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(
        names = "--ignore-eos",
        description =
            "Decode every row to --max-new-tokens past the AV's EOS (fixed-length decodes, to time"
                + " a study at a known number of tokens).")
    boolean ignoreEos;

    /** The top-level settings of a one-study plan. */
    Map<String, Object> root() {
      if (batch != null && batch < 1) throw new UserError("--batch: must be >= 1, got " + batch);
      if (limit != null && limit < 1) throw new UserError("--limit: must be >= 1, got " + limit);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seed", seed);
      // Without --batch the plan has none, and takes the device's default once the models go there.
      if (batch != null) m.put("batch", batch);
      if (limit != null) m.put("limit", limit);
      m.put("max_new_tokens", maxNewTokens);
      if (ignoreEos) m.put("ignore_eos", true);
      return m;
    }
  }

  /**
   * {@code nla study <name>}: the common options and the study's flags; when run, the plan they
   * describe, read and run like a plan file.
   */
  private static CommandLine oneStudy(Study<?> study) {
    OneStudy run = new OneStudy(study);
    CommandSpec command = CommandSpec.wrapWithoutInspection(run);
    command.name(study.name()).mixinStandardHelpOptions(true);
    command.usageMessage().description(study.description());
    command.addMixin("common", CommandSpec.forAnnotatedObject(run.common));
    for (StudyFlag f : study.flags()) command.addOption(option(f));
    run.spec = command;
    return new CommandLine(command);
  }

  /** What {@code nla study <name>} does: the plan of its flags, run. */
  private static final class OneStudy implements Callable<Integer> {
    final Study<?> study;
    final Common common = new Common();
    CommandSpec spec;

    OneStudy(Study<?> study) {
      this.study = study;
    }

    @Override
    public Integer call() {
      OneStudyPlan plan = new OneStudyPlan(common.root());
      study.plan(flag -> spec.findOption(flag).getValue(), plan);
      return runPlan(spec, common, study.name(), plan.root(study.name()));
    }
  }

  /** A study's flag as a picocli option: picocli converts the value to the flag's type. */
  private static OptionSpec option(StudyFlag f) {
    OptionSpec.Builder o =
        OptionSpec.builder(f.name())
            .paramLabel(f.label())
            .required(f.required())
            .description(f.description());
    if (f.defaultValue() != null) o.defaultValue(f.defaultValue());
    switch (f.type()) {
      case TEXT -> o.type(String.class);
      case PATH -> o.type(Path.class);
      case INTEGER -> o.type(int.class);
      case NUMBER -> o.type(double.class);
      case INTEGERS -> o.type(List.class).auxiliaryTypes(Integer.class).splitRegex(",");
      case TEXTS -> o.type(List.class).auxiliaryTypes(String.class).splitRegex(",");
      case KEY_VALUES -> o.type(Map.class).auxiliaryTypes(String.class, String.class);
    }
    return o.build();
  }

  private static StudyPlan.NlaOpener opener(StudyPlan plan) {
    return (name, av, ar) -> openNla(name, av, ar, plan.batch());
  }

  static int runPlan(CommandSpec spec, Common c, String study, Map<String, Object> root) {
    StudyPlan plan = StudyPlan.of("nla study " + study, root);
    Path html = plan.run(c.out, opener(plan), StudyCommand::engine);
    spec.commandLine().getOut().println("done: " + c.out + " (report: " + html + ")");
    return 0;
  }

  @Command(
      name = "all",
      mixinStandardHelpOptions = true,
      description = "Run a study plan file (YAML) end to end, then write the report.")
  static final class All implements Callable<Integer> {
    @Option(
        names = "--plan",
        required = true,
        paramLabel = "YAML",
        description = "The plan; see the README for its fields.")
    Path plan;

    @Option(
        names = "--out",
        paramLabel = "RUN_DIR",
        description = "Run directory. Default: the plan's 'out'.")
    Path out;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      StudyPlan p = StudyPlan.load(plan);
      Path dir = out != null ? out : p.out();
      if (dir == null)
        throw new UserError("--out: no run directory given and the plan has no 'out'");
      Path html = p.run(dir, opener(p), StudyCommand::engine);
      spec.commandLine().getOut().println("done: " + dir + " (report: " + html + ")");
      return 0;
    }
  }
}
