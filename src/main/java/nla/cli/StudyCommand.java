package nla.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.core.ActivationReconstructor;
import nla.core.ActivationVerbalizer;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.study.Nla;
import nla.study.RunDir;
import nla.study.StudyPlan;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nla study}: the studies of the seed report, each resumable in a run directory. Every
 * subcommand is a one-study plan; {@code all} runs a plan file.
 */
@Command(
    name = "study",
    mixinStandardHelpOptions = true,
    description = {
      "Run the studies of the seed report (contract §7) into a run directory, resumably.",
      "Rerun the same command after an interruption and only unfinished items are computed."
          + " Then 'nla report RUN_DIR'."
    },
    subcommands = {
      StudyCommand.All.class,
      StudyCommand.Eval.class,
      StudyCommand.QuoteBan.class,
      StudyCommand.Confab.class,
      StudyCommand.Redact.class,
      StudyCommand.BestOfN.class,
      StudyCommand.Layers.class,
      StudyCommand.Cross.class,
      StudyCommand.Ridge.class
    })
final class StudyCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Opens an NLA pair (directories or Hub repo ids) with the engine-backed AV and AR. */
  static Nla openNla(String name, String av, String ar) {
    Path avDir = ModelPaths.resolve(av);
    Path arDir = ModelPaths.resolve(ar);
    ActivationReconstructor reconstructor = ActivationReconstructor.open(arDir);
    ActivationVerbalizer verbalizer = ActivationVerbalizer.open(avDir);
    return new Nla(
        name,
        verbalizer,
        reconstructor,
        reconstructor.mseNorm(),
        RunDir.checkpointHash(avDir) + "+" + RunDir.checkpointHash(arDir));
  }

  static String engine() {
    return "cpu (nla " + RunDir.toolVersion() + ")";
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
        defaultValue = "8",
        description = "Rows per AV/AR batch. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(
        names = "--limit",
        paramLabel = "N",
        description = "Use only the first N rows of each activation set.")
    Integer limit;

    @Option(
        names = "--max-new-tokens",
        paramLabel = "N",
        defaultValue = "200",
        description = "AV generation budget per decode. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    Map<String, Object> root() {
      if (batch < 1) throw new UserError("--batch: must be >= 1, got " + batch);
      if (limit != null && limit < 1) throw new UserError("--limit: must be >= 1, got " + limit);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seed", seed);
      m.put("batch", batch);
      if (limit != null) m.put("limit", limit);
      m.put("max_new_tokens", maxNewTokens);
      return m;
    }
  }

  /** Options naming one NLA pair and its eval activations. */
  static final class Pair {
    @Option(
        names = "--av",
        required = true,
        paramLabel = "DIR",
        description = "AV checkpoint directory.")
    Path av;

    @Option(
        names = "--ar",
        required = true,
        paramLabel = "DIR",
        description = "AR checkpoint directory.")
    Path ar;

    @Option(
        names = "--activations",
        required = true,
        paramLabel = "FILE",
        description = "Eval activations (.parquet, or .npy without contexts).")
    Path activations;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        defaultValue = "nla",
        description = "Label of this NLA in tables. Default: ${DEFAULT-VALUE}.")
    String name;

    void into(Map<String, Object> root) {
      root.put("nlas", Map.of(name, Map.of("av", av, "ar", ar)));
      root.put("activations", Map.of(name, activations.toString()));
    }
  }

  static int runPlan(
      CommandSpec spec,
      Common c,
      String study,
      Map<String, Object> root,
      Map<String, Object> settings) {
    root.put("studies", Map.of(study, settings));
    StudyPlan plan = StudyPlan.of("nla study " + study, root);
    Path html = plan.run(c.out, StudyCommand::openNla, engine());
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
      Path html = p.run(dir, StudyCommand::openNla, engine());
      spec.commandLine().getOut().println("done: " + dir + " (report: " + html + ")");
      return 0;
    }
  }

  @Command(
      name = "eval",
      mixinStandardHelpOptions = true,
      description =
          "§1: FVE per item, mean with bootstrap 95%% CI, fraction > 0.5, missing tags, Var(v_nrm).")
  static final class Eval implements Callable<Integer> {
    @Mixin Common common;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    Pair pair;

    @Option(
        names = "--training-var-nrm",
        paramLabel = "X",
        description = "Training Var(v_nrm) to show beside the eval set's.")
    Double trainingVar;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Map<String, Object> root = common.root();
      pair.into(root);
      if (trainingVar != null)
        root.put(
            "nlas",
            Map.of(
                pair.name,
                Map.of(
                    "av",
                    pair.av.toString(),
                    "ar",
                    pair.ar.toString(),
                    "training_var_nrm",
                    trainingVar)));
      return runPlan(spec, common, "eval", root, Map.of("nla", pair.name));
    }
  }

  @Command(
      name = "quote-ban",
      mixinStandardHelpOptions = true,
      description =
          "§2: FVE under generation-time quote bans (none, double, double+single) and substitute-delimiter rates.")
  static final class QuoteBan implements Callable<Integer> {
    @Mixin Common common;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    Pair pair;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Map<String, Object> root = common.root();
      pair.into(root);
      return runPlan(spec, common, "quote-ban", root, Map.of("nla", pair.name));
    }
  }

  @Command(
      name = "confab",
      mixinStandardHelpOptions = true,
      description =
          "§3: longest common word run of each decode with its context vs a shuffled null, over the decodes already in RUN_DIR.")
  static final class Confab implements Callable<Integer> {
    @Mixin Common common;

    @Option(
        names = "--activations",
        required = true,
        paramLabel = "FILE",
        description = "The activation parquet the decodes were made from (for the contexts).")
    Path activations;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Map<String, Object> root = common.root();
      root.put("activations", Map.of("eval", activations.toString()));
      return runPlan(spec, common, "confab", root, Map.of("activations", "eval"));
    }
  }

  @Command(
      name = "redact",
      mixinStandardHelpOptions = true,
      description = "§4: span statistics and FVE after post-hoc redaction (five conditions).")
  static final class Redact implements Callable<Integer> {
    @Mixin Common common;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    Pair pair;

    @Option(
        names = "--filler",
        paramLabel = "TEXT",
        defaultValue = "[…]",
        description =
            "Replacement for each span in the filler condition. Default: ${DEFAULT-VALUE}.")
    String filler;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Map<String, Object> root = common.root();
      pair.into(root);
      return runPlan(spec, common, "redact", root, Map.of("nla", pair.name, "filler", filler));
    }
  }

  @Command(
      name = "best-of-n",
      mixinStandardHelpOptions = true,
      description =
          "§5: N samples per activation; AR-selected best of the first n; FVE vs n; gain per doubling.")
  static final class BestOfN implements Callable<Integer> {
    @Mixin Common common;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    Pair pair;

    @Option(
        names = "--samples",
        defaultValue = "10",
        paramLabel = "N",
        description = "Samples per activation. Default: ${DEFAULT-VALUE}.")
    int samples;

    @Option(
        names = "--temperature",
        paramLabel = "X",
        defaultValue = "1.0",
        description = "Sampling temperature of the N decodes. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Map<String, Object> root = common.root();
      pair.into(root);
      return runPlan(
          spec,
          common,
          "best-of-n",
          root,
          Map.of("nla", pair.name, "samples", samples, "temperature", temperature));
    }
  }

  @Command(
      name = "layers",
      mixinStandardHelpOptions = true,
      description =
          "§6: neighbouring layers' vectors through the layer-K NLA; cos, NMSE, own-denominator FVE, additive bound.")
  static final class Layers implements Callable<Integer> {
    @Mixin Common common;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    Pair pair;

    @Option(
        names = "--trained-label",
        paramLabel = "LABEL",
        defaultValue = "K",
        description = "Label of the trained layer, e.g. L41. Default: ${DEFAULT-VALUE}.")
    String trained;

    @Option(
        names = "--neighbour",
        required = true,
        paramLabel = "LABEL=FILE",
        description = "A neighbouring layer's activations at the same positions (repeatable).")
    Map<String, String> neighbours;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Map<String, Object> root = common.root();
      pair.into(root);
      return runPlan(
          spec,
          common,
          "layers",
          root,
          Map.of("nla", pair.name, "trained", trained, "neighbours", neighbours));
    }
  }

  @Command(
      name = "cross",
      mixinStandardHelpOptions = true,
      description =
          "§7: the cross-family transfer matrix with shuffled nulls and shares of the within-family ceilings.")
  static final class Cross implements Callable<Integer> {
    @Mixin Common common;

    @Option(
        names = "--family",
        required = true,
        paramLabel = "NAME=AV,AR,ACTIVATIONS",
        description =
            "One family: its AV and AR directories and its activations at the shared positions (give two or more).")
    Map<String, String> families;

    @Option(
        names = "--alignment",
        paramLabel = "FILE",
        description =
            "The alignment report (alignment.jsonl) of the nla align run the two families' activations come from: adds the alignment's mean character error to the summary and report.")
    String alignment;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (families.size() < 2) throw new UserError("--family: give at least two families");
      Map<String, Object> root = common.root();
      Map<String, Object> nlas = new LinkedHashMap<>();
      Map<String, Object> acts = new LinkedHashMap<>();
      for (var e : families.entrySet()) {
        String[] parts = e.getValue().split(",");
        if (parts.length != 3)
          throw new UserError("--family " + e.getKey() + ": expected AV,AR,ACTIVATIONS");
        nlas.put(e.getKey(), Map.of("av", parts[0], "ar", parts[1]));
        acts.put(e.getKey(), parts[2]);
      }
      root.put("nlas", nlas);
      root.put("activations", acts);
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("families", List.copyOf(families.keySet()));
      if (alignment != null) settings.put("alignment", alignment);
      return runPlan(spec, common, "cross", root, settings);
    }
  }

  @Command(
      name = "ridge",
      mixinStandardHelpOptions = true,
      description =
          "§8: ridge and kernel ridge between two families' vectors, both directions, FVE vs n, extrapolated crossover with the text route (from RUN_DIR's cross study).")
  static final class Ridge implements Callable<Integer> {
    @Mixin Common common;

    @Option(
        names = "--a",
        required = true,
        paramLabel = "NAME=TRAIN,EVAL",
        description = "Family A: training and eval activations.")
    Map<String, String> a;

    @Option(
        names = "--b",
        required = true,
        paramLabel = "NAME=TRAIN,EVAL",
        description = "Family B: training and eval activations.")
    Map<String, String> b;

    @Option(
        names = "--ns",
        paramLabel = "N",
        split = ",",
        defaultValue = "250,1000,5000,20000",
        description = "Training sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> ns;

    @Option(
        names = "--kernels",
        paramLabel = "KERNEL",
        split = ",",
        defaultValue = "linear,rbf",
        description =
            "Regressions to fit: linear (ridge), rbf (kernel ridge). Default: ${DEFAULT-VALUE}.")
    List<String> kernels;

    @Option(
        names = "--folds",
        paramLabel = "N",
        defaultValue = "5",
        description = "CV folds. Default: ${DEFAULT-VALUE}.")
    int folds;

    @Option(
        names = "--cv-max-rows",
        paramLabel = "N",
        defaultValue = "2000",
        description = "Rows that take part in CV. Default: ${DEFAULT-VALUE}.")
    int cvMaxRows;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (a.size() != 1 || b.size() != 1)
        throw new UserError("--a/--b: give one NAME=TRAIN,EVAL each");
      var ea = a.entrySet().iterator().next();
      var eb = b.entrySet().iterator().next();
      String[] pa = ea.getValue().split(",");
      String[] pb = eb.getValue().split(",");
      if (pa.length != 2) throw new UserError("--a: expected NAME=TRAIN,EVAL");
      if (pb.length != 2) throw new UserError("--b: expected NAME=TRAIN,EVAL");
      Map<String, Object> root = common.root();
      root.put("activations", Map.of(ea.getKey(), pa[1], eb.getKey(), pb[1]));
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("a", ea.getKey());
      s.put("b", eb.getKey());
      s.put("train", Map.of(ea.getKey(), pa[0], eb.getKey(), pb[0]));
      s.put("ns", ns);
      s.put("kernels", kernels);
      s.put("folds", folds);
      s.put("cv_max_rows", cvMaxRows);
      return runPlan(spec, common, "ridge", root, s);
    }
  }
}
