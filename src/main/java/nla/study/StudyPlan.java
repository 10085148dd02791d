package nla.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import nla.backend.DeviceSpec;
import nla.core.VerbalizeOptions;
import nla.io.UserError;
import nla.model.LanguageModel;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A study plan (YAML): which NLA pairs, which activation sets, which studies with which settings;
 * {@link #run} runs them in one run directory, in the report's order, then writes the report. Paths
 * are relative to the plan file. Example:
 *
 * <pre>
 * seed: 42
 * batch: 8                       # rows per AV/AR batch, decoded together (default 16 on the CPU, 256 on a GPU)
 * limit: 200                     # first N rows of every activation set (optional)
 * max_new_tokens: 200            # AV generation budget (default 200)
 * ignore_eos: false              # true: every decode runs to max_new_tokens past EOS (timing runs)
 * nlas:
 *   gemma: {av: ckpt/gemma-av, ar: ckpt/gemma-ar, training_var_nrm: 0.0579}
 *   qwen:  {av: ckpt/qwen-av,  ar: ckpt/qwen-ar}
 * activations:                   # eval sets, row-aligned across families
 *   gemma: acts/gemma-L41.parquet
 *   qwen:  acts/qwen-L20.parquet
 * studies:
 *   eval:      {nla: gemma}
 *   quote-ban: {nla: gemma}       # optional: families: {double: "...", single: "..."}, conditions: [[], [double], [double, single]]
 *   confab:    {activations: gemma}
 *   redact:    {nla: gemma, filler: "[…]"}
 *   best-of-n: {nla: gemma, samples: 10, temperature: 1.0}
 *   layers:    {nla: gemma, trained: L41, neighbours: {L40: acts/gemma-L40.parquet, L42: acts/gemma-L42.parquet}}
 *   cross:     {families: [gemma, qwen], alignment: aligned/alignment.jsonl}   # alignment optional
 *   ridge:     {a: gemma, b: qwen, train: {gemma: acts/gemma-train.parquet, qwen: acts/qwen-train.parquet},
 *               ns: [250, 1000, 5000, 20000], kernels: [linear, rbf], folds: 5, cv_max_rows: 2000}
 * prereg: predictions.yaml        # optional
 * </pre>
 */
public final class StudyPlan {
  /**
   * Builds an NLA pair from its two checkpoints: each a directory (made absolute against the plan's
   * folder when it exists there) or, as given, a Hub repo id.
   */
  public interface NlaOpener {
    Nla open(String name, String av, String ar);
  }

  /** The top-level fields of a plan; anything else is a typo that would be ignored. */
  private static final List<String> TOP_LEVEL_FIELDS =
      List.of(
          "seed",
          "batch",
          "limit",
          "max_new_tokens",
          "ignore_eos",
          "nlas",
          "activations",
          "studies",
          "prereg",
          "out",
          "device");

  private final PlanFields fields;
  private final Map<String, Object> root;

  /** Each study of the plan with its parsed parameters, in the plan's order. */
  private final Map<Study<?>, Parsed<?>> parsed = new LinkedHashMap<>();

  /** A study's parameters and the settings they were read from (recorded in the manifest). */
  private record Parsed<P>(
      Study<P> study, P params, StudySettings settings, Map<String, Object> raw) {
    void run(StudyContext context) {
      study.run(params, context);
    }
  }

  private StudyPlan(String file, Path baseDir, Map<String, Object> root) {
    this.fields = new PlanFields(file, baseDir);
    this.root = root;
  }

  /**
   * A plan given as a map (what one {@code nla study <name>} command's flags describe); paths are
   * relative to the working directory, and errors name {@code origin}.
   */
  public static StudyPlan of(String origin, Map<String, Object> root) {
    StudyPlan p = new StudyPlan(origin, Path.of("").toAbsolutePath(), root);
    p.validate();
    return p;
  }

  @SuppressWarnings("unchecked")
  public static StudyPlan load(Path file) {
    Object o;
    try {
      o = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new UserError("--plan: " + file + ": no such file");
    } catch (IOException e) {
      throw new UserError("--plan: " + file + ": cannot read: " + e.getMessage());
    } catch (RuntimeException e) {
      throw new UserError(
          file + ": not valid YAML (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (!(o instanceof Map<?, ?> m)) throw new UserError(file + ": expected a mapping at the top");
    StudyPlan p =
        new StudyPlan(file.toString(), file.toAbsolutePath().getParent(), (Map<String, Object>) m);
    p.validate();
    return p;
  }

  /**
   * Checks the whole plan when it loads, so a typo in the last study is reported before the first
   * one runs (for hours, on the released checkpoints): known studies with only their own settings,
   * the top-level fields, then each study's parameters ({@link Study#parse}), which also checks
   * that every NLA and activation set a study names is defined.
   */
  private void validate() {
    Map<String, Object> studies = studies();
    for (String s : studies.keySet())
      if (Studies.named(s) == null)
        throw fields.error(
            "studies." + s + ": unknown study (expected one of " + Studies.names() + ")");
    for (var e : studies.entrySet()) {
      if (e.getValue() == null) continue;
      String where = "studies." + e.getKey();
      if (!(e.getValue() instanceof Map<?, ?> settings))
        throw fields.error(where + ": must be a mapping of settings");
      List<String> known = Studies.named(e.getKey()).settings();
      for (Object k : settings.keySet())
        if (!known.contains(String.valueOf(k)))
          throw fields.error(
              where + ": unknown setting '" + k + "' (expected one of " + known + ")");
    }
    // A non-positive count would only fail deep inside a study (or silently select nothing).
    for (String k : List.of("limit", "batch", "max_new_tokens"))
      fields.integer(root, k, "plan", 1, 1, Integer.MAX_VALUE);
    fields.integer(root, "seed", "plan", 42, Long.MIN_VALUE, Long.MAX_VALUE);
    ignoreEos();
    for (String k : root.keySet())
      if (!TOP_LEVEL_FIELDS.contains(k)) throw fields.error("unknown top-level field '" + k + "'");
    device();
    Map<String, Object> nlas = fields.map(root, "nlas", false);
    for (String n : nlas.keySet()) {
      Map<String, Object> pair = fields.map(nlas, n, true);
      fields.str(pair, "av", "nlas." + n, null);
      fields.str(pair, "ar", "nlas." + n, null);
    }
    for (var e : studies.entrySet()) parse(Studies.named(e.getKey()), e.getValue());
  }

  @SuppressWarnings("unchecked")
  private <P> void parse(Study<P> study, Object settings) {
    Map<String, Object> raw = settings == null ? Map.of() : (Map<String, Object>) settings;
    StudySettings s = new StudySettings(fields, root, study.name(), raw);
    parsed.put(study, new Parsed<>(study, study.parse(s), s, raw));
  }

  // ------------------------------------------------------------------ top-level fields

  public long seed() {
    return fields.integer(root, "seed", "plan", 42, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /**
   * Rows per AV/AR batch: the plan's {@code batch}, else the default for the device the models go
   * to ({@link LanguageModel#defaultBatch()}, as {@code nla verbalize} decodes by default).
   * Resolved when asked, so {@link #run} asks once the plan's {@code device:} is in force.
   */
  public int batch() {
    if (root.get("batch") == null) return LanguageModel.defaultBatch();
    return (int) fields.integer(root, "batch", "plan", 1, 1, Integer.MAX_VALUE);
  }

  /** The plan's {@code ignore_eos}: decodes run to max_new_tokens past the AV's EOS. */
  public boolean ignoreEos() {
    return fields.bool(root, "ignore_eos", "plan", false);
  }

  public Path out() {
    Object o = root.get("out");
    return o == null ? null : fields.path(o.toString());
  }

  public Path prereg() {
    Object o = root.get("prereg");
    return o == null ? null : fields.path(o.toString());
  }

  public Map<String, Object> studies() {
    return fields.map(root, "studies", true);
  }

  /** The plan's {@code device:} (as --device takes it), or null to leave the command's. */
  public DeviceSpec device() {
    Object d = root.get("device");
    if (d == null) return null;
    try {
      return DeviceSpec.parse(d.toString());
    } catch (UserError e) {
      throw fields.error("device: " + e.getMessage());
    }
  }

  private String checkpoint(String dirOrRepoId) {
    Path p = fields.path(dirOrRepoId);
    return Files.isDirectory(p) ? p.toString() : dirOrRepoId;
  }

  // ------------------------------------------------------------------ running

  /**
   * Runs every study of the plan in {@code runDir}, in the report's order ({@link Studies#ALL});
   * returns the report it then wrote. {@code engine} says what computes the results (recorded in
   * the run's identity); it is asked once the plan's device is in force.
   */
  public Path run(Path runDir, NlaOpener opener, Supplier<String> engine) {
    // The plan's device applies unless the command line chose one (--device other than auto).
    if (device() != null && LanguageModel.defaultDevice().kind() == DeviceSpec.Kind.AUTO) {
      LanguageModel.setDefaultDevice(device());
    }
    String engineName = engine.get();
    Map<String, Nla> nlas = new HashMap<>();
    Map<String, ActivationSet> acts = new HashMap<>();
    int limit =
        (int) fields.integer(root, "limit", "plan", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
    java.util.function.Function<String, Nla> nla =
        name ->
            nlas.computeIfAbsent(
                name,
                n -> {
                  Map<String, Object> all = fields.map(root, "nlas", true);
                  if (!all.containsKey(n))
                    throw fields.error(
                        "no NLA named '" + n + "' under nlas (the plan has " + all.keySet() + ")");
                  Map<String, Object> spec = fields.map(all, n, true);
                  return opener.open(
                      n,
                      checkpoint(fields.str(spec, "av", "nlas." + n, null)),
                      checkpoint(fields.str(spec, "ar", "nlas." + n, null)));
                });
    java.util.function.Function<String, ActivationSet> act =
        name ->
            acts.computeIfAbsent(
                name,
                n -> {
                  Map<String, Object> all = fields.map(root, "activations", true);
                  if (!all.containsKey(n))
                    throw fields.error(
                        "no activation set named '"
                            + n
                            + "' under activations (the plan has "
                            + all.keySet()
                            + ")");
                  return ActivationSets.load(fields.path(fields.str(all, n, "activations", null)))
                      .head(limit);
                });
    requireInputFiles();
    long seed = seed();
    int batch = batch();
    int maxNew =
        (int)
            fields.integer(
                root,
                "max_new_tokens",
                "plan",
                VerbalizeOptions.DEFAULT_MAX_NEW_TOKENS,
                1,
                Integer.MAX_VALUE);
    List<Study<?>> planned = Studies.ALL.stream().filter(parsed::containsKey).toList();
    for (int i = 0; i < planned.size(); i++) {
      Study<?> study = planned.get(i);
      // A plan of several studies runs for minutes to hours: each says when it starts and how long
      // it took (a one-study command has its own progress and nothing else on stderr).
      boolean several = planned.size() > 1;
      if (several) {
        System.err.printf(
            java.util.Locale.ROOT,
            "study all: %s (%d of %d)...%n",
            study.name(),
            i + 1,
            planned.size());
      }
      long started = System.nanoTime();
      parsed
          .get(study)
          .run(
              new StudyContext(
                  runDir,
                  study.name(),
                  engineName,
                  seed,
                  batch,
                  limit,
                  maxNew,
                  ignoreEos(),
                  parsed.get(study).raw(),
                  nla,
                  act));
      if (several) {
        System.err.printf(
            java.util.Locale.ROOT,
            "study all: %s done in %.1f s%n",
            study.name(),
            (System.nanoTime() - started) / 1e9);
      }
    }
    Path html = runDir.resolve("report.html");
    Report.write(runDir, prereg(), html);
    return html;
  }

  /**
   * Every input file the plan names exists, checked before the first study runs: a typo in the last
   * study's path should not surface only after hours of the first one (whose results the run
   * directory would keep, but the user would still wait for nothing).
   */
  private void requireInputFiles() {
    Map<String, Path> files = new LinkedHashMap<>();
    fields
        .map(root, "activations", false)
        .forEach((k, v) -> files.put("activations." + k, fields.path(String.valueOf(v))));
    for (Parsed<?> p : parsed.values()) files.putAll(p.settings().inputFiles());
    files.forEach(
        (field, p) -> {
          if (!Files.isRegularFile(p)) throw fields.error(field + ": no such file " + p);
        });
  }
}
