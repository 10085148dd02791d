package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.backend.DeviceSpec;
import nla.core.VerbalizeOptions;
import nla.io.UserError;
import nla.linalg.Ridge;
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
 * batch: 8
 * limit: 200                     # first N rows of every activation set (optional)
 * max_new_tokens: 200            # AV generation budget (default 200)
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

  private final String file;
  private final Path baseDir;
  private final Map<String, Object> root;

  private StudyPlan(String file, Path baseDir, Map<String, Object> root) {
    this.file = file;
    this.baseDir = baseDir;
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

  /** The settings each study reads; anything else in a plan is a typo that would be ignored. */
  private static final Map<String, List<String>> STUDY_FIELDS =
      Map.of(
          "eval", List.of("nla", "activations"),
          "quote-ban", List.of("nla", "activations", "conditions", "families"),
          "confab", List.of("activations"),
          "redact", List.of("nla", "activations", "filler"),
          "best-of-n", List.of("nla", "activations", "samples", "temperature"),
          "layers", List.of("nla", "activations", "neighbours", "trained"),
          "cross", List.of("families", "alignment"),
          "ridge",
              List.of(
                  "a",
                  "b",
                  "train",
                  "ns",
                  "kernels",
                  "folds",
                  "cv_max_rows",
                  "extrapolation_points"));

  private void validate() {
    Map<String, Object> studies = map(root, "studies", true);
    for (String s : studies.keySet())
      if (!Report.STUDY_ORDER.contains(s))
        throw new UserError(
            file
                + ": studies."
                + s
                + ": unknown study (expected one of "
                + Report.STUDY_ORDER
                + ")");
    for (var e : studies.entrySet()) {
      if (e.getValue() == null) continue;
      String where = "studies." + e.getKey();
      if (!(e.getValue() instanceof Map<?, ?> settings))
        throw new UserError(file + ": " + where + ": must be a mapping of settings");
      List<String> known = STUDY_FIELDS.get(e.getKey());
      for (Object k : settings.keySet())
        if (!known.contains(String.valueOf(k)))
          throw new UserError(
              file
                  + ": "
                  + where
                  + ": unknown setting '"
                  + k
                  + "' (expected one of "
                  + known
                  + ")");
      if (settings.get("ns") instanceof List<?> ns)
        for (Object n : ns)
          if (!(n instanceof Number) || wholeNumber(n) == null || ((Number) n).doubleValue() < 1)
            throw new UserError(
                file
                    + ": "
                    + where
                    + ".ns: '"
                    + n
                    + "' is not a training size (a whole number >= 1)");
    }
    // A non-positive count would only fail deep inside a study (or silently select nothing).
    for (String k : List.of("limit", "batch", "max_new_tokens"))
      integer(root, k, "plan", 1, 1, Integer.MAX_VALUE);
    integer(root, "seed", "plan", 42, Long.MIN_VALUE, Long.MAX_VALUE);
    for (String k : root.keySet())
      if (!List.of(
              "seed",
              "batch",
              "limit",
              "max_new_tokens",
              "nlas",
              "activations",
              "studies",
              "prereg",
              "out",
              "device")
          .contains(k)) throw new UserError(file + ": unknown top-level field '" + k + "'");
    device();
    validateStudies();
  }

  /**
   * Every NLA and activation set a study names is defined, and each study's settings have their
   * types: checked when the plan loads, so a typo in the last study is reported before the first
   * one runs (for hours, on the released checkpoints).
   */
  private void validateStudies() {
    Map<String, Object> nlas = map(root, "nlas", false);
    for (String n : nlas.keySet()) {
      Map<String, Object> pair = map(nlas, n, true);
      str(pair, "av", "nlas." + n, null);
      str(pair, "ar", "nlas." + n, null);
    }
    for (var e : studies().entrySet()) {
      String study = e.getKey();
      String where = "studies." + study;
      @SuppressWarnings("unchecked")
      Map<String, Object> s = e.getValue() == null ? Map.of() : (Map<String, Object>) e.getValue();
      switch (study) {
        case Studies.EVAL, Studies.QUOTE_BAN, Studies.REDACT, Studies.BEST_OF_N, Studies.LAYERS -> {
          String nla = str(s, "nla", where, null);
          requireNla(nla, where + ".nla");
          requireActivations(str(s, "activations", where, nla), where + ".activations");
          if (study.equals(Studies.QUOTE_BAN)) {
            conditions(s, where);
            families(s);
          }
          if (study.equals(Studies.BEST_OF_N)) {
            integer(s, "samples", where, 10, 1, Integer.MAX_VALUE);
            num(s, "temperature", where, 1.0);
          }
          if (study.equals(Studies.LAYERS)) map(s, "neighbours", true);
        }
        case Studies.CONFAB ->
            requireActivations(str(s, "activations", where, null), where + ".activations");
        case Studies.CROSS -> {
          for (String family : list(s, "families", where)) {
            requireNla(family, where + ".families");
            requireActivations(family, where + ".families");
          }
        }
        case Studies.RIDGE -> {
          Map<String, Object> train = map(s, "train", true);
          for (String side : List.of("a", "b")) {
            String name = str(s, side, where, null);
            requireActivations(name, where + "." + side);
            str(train, name, where + ".train", null);
          }
          list(s, "ns", where);
          if (s.containsKey("kernels")) for (String k : list(s, "kernels", where)) kernel(k, where);
          integer(s, "folds", where, 5, 2, Integer.MAX_VALUE);
          integer(s, "cv_max_rows", where, 2000, 1, Integer.MAX_VALUE);
          integer(s, "extrapolation_points", where, 3, 2, Integer.MAX_VALUE);
        }
        default -> throw new IllegalStateException(study);
      }
    }
  }

  private void requireNla(String name, String where) {
    Map<String, Object> nlas = map(root, "nlas", false);
    if (!nlas.containsKey(name))
      throw new UserError(
          file
              + ": "
              + where
              + ": no NLA named '"
              + name
              + "' under nlas (the plan has "
              + nlas.keySet()
              + ")");
  }

  private void requireActivations(String name, String where) {
    Map<String, Object> sets = map(root, "activations", false);
    if (!sets.containsKey(name))
      throw new UserError(
          file
              + ": "
              + where
              + ": no activation set named '"
              + name
              + "' under activations (the plan has "
              + sets.keySet()
              + ")");
  }

  // ------------------------------------------------------------------ typed access

  @SuppressWarnings("unchecked")
  private Map<String, Object> map(Map<String, Object> m, String field, boolean required) {
    Object v = m.get(field);
    if (v == null) {
      if (required) throw new UserError(file + ": missing field '" + field + "'");
      return Map.of();
    }
    if (!(v instanceof Map<?, ?>))
      throw new UserError(file + ": field '" + field + "' must be a mapping");
    return (Map<String, Object>) v;
  }

  private String str(Map<String, Object> m, String field, String where, String dflt) {
    Object v = m.get(field);
    if (v == null) {
      if (dflt == null)
        throw new UserError(file + ": " + where + ": missing field '" + field + "'");
      return dflt;
    }
    return v.toString();
  }

  private double num(Map<String, Object> m, String field, String where, double dflt) {
    Object v = m.get(field);
    if (v == null) return dflt;
    if (!(v instanceof Number n))
      throw new UserError(file + ": " + where + "." + field + ": must be a number");
    return n.doubleValue();
  }

  /**
   * A whole number in [min, max]. YAML reads {@code 4.5e99} and {@code 2.5} as floating point,
   * which a cast would silently turn into 2^63 − 1 and 2.
   */
  private long integer(
      Map<String, Object> m, String field, String where, long dflt, long min, long max) {
    Object v = m.get(field);
    if (v == null) return dflt;
    BigDecimal x = wholeNumber(v);
    if (x == null)
      throw new UserError(file + ": " + where + "." + field + ": must be a whole number, got " + v);
    if (x.compareTo(BigDecimal.valueOf(min)) < 0 || x.compareTo(BigDecimal.valueOf(max)) > 0)
      throw new UserError(
          file
              + ": "
              + where
              + "."
              + field
              + ": "
              + v
              + " is out of range (expected "
              + (min == Long.MIN_VALUE ? "a 64-bit integer" : min + ".." + max)
              + ")");
    return x.longValueExact();
  }

  /** The exact value of a YAML number if it is whole (2, 2.0, 4.5e99), else null. */
  private static BigDecimal wholeNumber(Object v) {
    BigDecimal x;
    if (v instanceof Integer || v instanceof Long || v instanceof BigInteger)
      x = new BigDecimal(v.toString());
    else if (v instanceof Double d && Double.isFinite(d)) x = new BigDecimal(d);
    else return null;
    return x.signum() == 0 || x.stripTrailingZeros().scale() <= 0 ? x : null;
  }

  private Path path(String p) {
    Path x = Path.of(p);
    return x.isAbsolute() ? x : baseDir.resolve(x);
  }

  private String checkpoint(String dirOrRepoId) {
    Path p = path(dirOrRepoId);
    return Files.isDirectory(p) ? p.toString() : dirOrRepoId;
  }

  public long seed() {
    return integer(root, "seed", "plan", 42, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  public int batch() {
    return (int) integer(root, "batch", "plan", 8, 1, Integer.MAX_VALUE);
  }

  public Path out() {
    Object o = root.get("out");
    return o == null ? null : path(o.toString());
  }

  public Path prereg() {
    Object o = root.get("prereg");
    return o == null ? null : path(o.toString());
  }

  public Map<String, Object> studies() {
    return map(root, "studies", true);
  }

  /** The plan's {@code device:} (as --device takes it), or null to leave the command's. */
  public DeviceSpec device() {
    Object d = root.get("device");
    if (d == null) return null;
    try {
      return DeviceSpec.parse(d.toString());
    } catch (UserError e) {
      throw new UserError(file + ": device: " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------ running

  /** Runs every study of the plan in {@code runDir}; returns the report it wrote. */
  public Path run(Path runDir, NlaOpener opener, String engine) {
    // The plan's device applies unless the command line chose one (--device other than auto).
    if (device() != null && LanguageModel.defaultDevice().kind() == DeviceSpec.Kind.AUTO) {
      LanguageModel.setDefaultDevice(device());
    }
    Map<String, Nla> nlas = new HashMap<>();
    Map<String, ActivationSet> acts = new HashMap<>();
    int limit = (int) integer(root, "limit", "plan", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
    java.util.function.Function<String, Nla> nla =
        name ->
            nlas.computeIfAbsent(
                name,
                n -> {
                  Map<String, Object> all = map(root, "nlas", true);
                  if (!all.containsKey(n))
                    throw new UserError(
                        file
                            + ": no NLA named '"
                            + n
                            + "' under nlas (the plan has "
                            + all.keySet()
                            + ")");
                  Map<String, Object> spec = map(all, n, true);
                  return opener.open(
                      n,
                      checkpoint(str(spec, "av", "nlas." + n, null)),
                      checkpoint(str(spec, "ar", "nlas." + n, null)));
                });
    java.util.function.Function<String, ActivationSet> act =
        name ->
            acts.computeIfAbsent(
                name,
                n -> {
                  Map<String, Object> all = map(root, "activations", true);
                  if (!all.containsKey(n))
                    throw new UserError(
                        file
                            + ": no activation set named '"
                            + n
                            + "' under activations (the plan has "
                            + all.keySet()
                            + ")");
                  return ActivationSets.load(path(str(all, n, "activations", null))).head(limit);
                });
    requireInputFiles();
    Map<String, Object> studies = studies();
    long seed = seed();
    int batch = batch();
    int maxNew =
        (int)
            integer(
                root,
                "max_new_tokens",
                "plan",
                VerbalizeOptions.DEFAULT_MAX_NEW_TOKENS,
                1,
                Integer.MAX_VALUE);
    VerbalizeOptions greedy =
        VerbalizeOptions.greedy().withSampling(0, 1, 0, seed).withMaxNewTokens(maxNew, false);
    for (String study : Report.STUDY_ORDER) {
      if (!studies.containsKey(study)) continue;
      @SuppressWarnings("unchecked")
      Map<String, Object> s =
          studies.get(study) == null ? Map.of() : (Map<String, Object>) studies.get(study);
      String where = "studies." + study;
      Map<String, Object> params = new LinkedHashMap<>(s);
      // Batch size changes nothing in the results (per-row seeds), so resuming with another is
      // fine.
      params.put("limit", limit);
      params.put("max_new_tokens", maxNew);
      Map<String, String> inputs = new LinkedHashMap<>();
      switch (study) {
        case Studies.EVAL, Studies.QUOTE_BAN, Studies.REDACT, Studies.BEST_OF_N -> {
          String nName = str(s, "nla", where, null);
          String aName = str(s, "activations", where, nName);
          ActivationSet a = act.apply(aName); // cheap inputs fail before models load
          Nla n = nla.apply(nName);
          inputs.put("nla:" + nName, n.hash());
          inputs.put("activations:" + aName, a.hash());
          try (RunDir run =
              RunDir.open(runDir, new RunDir.Identity(study, seed, engine, params, inputs))) {
            switch (study) {
              case Studies.EVAL -> {
                Object tv = map(map(root, "nlas", true), nName, true).get("training_var_nrm");
                Studies.eval(
                    run,
                    n,
                    a,
                    greedy,
                    tv instanceof Number x ? x.doubleValue() : Double.NaN,
                    seed,
                    batch);
              }
              case Studies.QUOTE_BAN ->
                  Studies.quoteBan(
                      run, n, a, greedy, conditions(s, where), families(s), seed, batch);
              case Studies.REDACT ->
                  Studies.redact(
                      run,
                      n,
                      a,
                      greedy,
                      List.of(Redaction.values()),
                      str(s, "filler", where, "[…]"),
                      seed,
                      batch);
              default -> {
                VerbalizeOptions t =
                    VerbalizeOptions.greedy()
                        .withSampling(num(s, "temperature", where, 1.0), 1, 0, seed)
                        .withSamples((int) integer(s, "samples", where, 10, 1, Integer.MAX_VALUE))
                        .withMaxNewTokens(maxNew, false);
                Studies.bestOfN(run, n, a, t, batch);
              }
            }
          }
        }
        case Studies.CONFAB -> {
          String aName = str(s, "activations", where, null);
          ActivationSet a = act.apply(aName);
          inputs.put("activations:" + aName, a.hash());
          try (RunDir run =
              RunDir.open(runDir, new RunDir.Identity(study, seed, engine, params, inputs))) {
            Studies.confab(run, a, seed);
          }
        }
        case Studies.LAYERS -> {
          String nName = str(s, "nla", where, null);
          Nla n = nla.apply(nName);
          ActivationSet trained = act.apply(str(s, "activations", where, nName));
          Map<String, ActivationSet> neighbours = new LinkedHashMap<>();
          for (var e : map(s, "neighbours", true).entrySet()) {
            ActivationSet x = ActivationSets.load(path(e.getValue().toString())).head(limit);
            neighbours.put(e.getKey(), x);
            inputs.put("activations:" + e.getKey(), x.hash());
          }
          inputs.put("nla:" + nName, n.hash());
          inputs.put("activations:trained", trained.hash());
          try (RunDir run =
              RunDir.open(runDir, new RunDir.Identity(study, seed, engine, params, inputs))) {
            Studies.layers(
                run, n, str(s, "trained", where, "K"), trained, neighbours, greedy, batch);
          }
        }
        case Studies.CROSS -> {
          List<Nla> fams = new ArrayList<>();
          List<ActivationSet> sets = new ArrayList<>();
          for (String f : list(s, "families", where)) {
            Nla n = nla.apply(f);
            ActivationSet a = act.apply(f);
            fams.add(n);
            sets.add(a);
            inputs.put("nla:" + f, n.hash());
            inputs.put("activations:" + f, a.hash());
          }
          // The nla align report the sets come from: the study reports its character error.
          Path alignment = s.get("alignment") == null ? null : path(s.get("alignment").toString());
          if (alignment != null) inputs.put("alignment", RunDir.sha256(alignment));
          try (RunDir run =
              RunDir.open(runDir, new RunDir.Identity(study, seed, engine, params, inputs))) {
            Studies.cross(run, fams, sets, alignment, greedy, seed, batch);
          }
        }
        case Studies.RIDGE -> {
          String a = str(s, "a", where, null);
          String b = str(s, "b", where, null);
          Map<String, Object> train = map(s, "train", true);
          ActivationSet trA = ActivationSets.load(path(str(train, a, where + ".train", null)));
          ActivationSet trB = ActivationSets.load(path(str(train, b, where + ".train", null)));
          ActivationSet evA = act.apply(a);
          ActivationSet evB = act.apply(b);
          for (var x : List.of(trA, trB, evA, evB)) inputs.put("activations:" + x.name(), x.hash());
          Map<String, Double> text = new HashMap<>();
          JsonNode cross = RunDir.readSummary(runDir, Studies.CROSS);
          if (cross != null)
            for (JsonNode c : cross.get("cells"))
              if (!c.get("withinFamily").asBoolean())
                text.put(
                    c.get("avFamily").asText() + "->" + c.get("arFamily").asText(),
                    c.get("fve").asDouble());
          List<Integer> ns = new ArrayList<>();
          for (String n : list(s, "ns", where)) ns.add((int) Double.parseDouble(n));
          List<Ridge.Kernel> kernels = new ArrayList<>();
          for (String k :
              s.containsKey("kernels") ? list(s, "kernels", where) : List.of("linear", "rbf"))
            kernels.add(kernel(k, where));
          RidgeStudy.Params rp =
              new RidgeStudy.Params(
                  ns,
                  kernels,
                  (int) integer(s, "folds", where, 5, 2, Integer.MAX_VALUE),
                  (int) integer(s, "cv_max_rows", where, 2000, 1, Integer.MAX_VALUE),
                  (int) integer(s, "extrapolation_points", where, 3, 2, Integer.MAX_VALUE),
                  seed);
          try (RunDir run =
              RunDir.open(runDir, new RunDir.Identity(study, seed, engine, params, inputs))) {
            RidgeStudy.run(run, a, b, trA, trB, evA, evB, text, rp);
          }
        }
        default -> throw new IllegalStateException(study);
      }
    }
    Path html = runDir.resolve("report.html");
    Report.write(runDir, prereg(), html);
    return html;
  }

  /**
   * Every activation file the plan names exists, checked before the first study runs: a typo in the
   * last study's path should not surface only after hours of the first one (whose results the run
   * directory would keep, but the user would still wait for nothing).
   */
  @SuppressWarnings("unchecked")
  private void requireInputFiles() {
    Map<String, String> files = new LinkedHashMap<>();
    map(root, "activations", false)
        .forEach((k, v) -> files.put("activations." + k, String.valueOf(v)));
    Map<String, Object> studies = studies();
    if (studies.get("layers") instanceof Map<?, ?> layers
        && layers.get("neighbours") instanceof Map<?, ?> neighbours)
      neighbours.forEach((k, v) -> files.put("studies.layers.neighbours." + k, String.valueOf(v)));
    if (studies.get("ridge") instanceof Map<?, ?> ridge
        && ridge.get("train") instanceof Map<?, ?> train)
      train.forEach((k, v) -> files.put("studies.ridge.train." + k, String.valueOf(v)));
    if (studies.get("cross") instanceof Map<?, ?> cross && cross.get("alignment") != null)
      files.put("studies.cross.alignment", String.valueOf(cross.get("alignment")));
    files.forEach(
        (field, p) -> {
          if (!Files.isRegularFile(path(p)))
            throw new UserError(file + ": " + field + ": no such file " + path(p));
        });
  }

  private List<String> list(Map<String, Object> m, String field, String where) {
    Object v = m.get(field);
    if (!(v instanceof List<?> l))
      throw new UserError(file + ": " + where + "." + field + ": must be a list");
    List<String> out = new ArrayList<>();
    for (Object x : l) out.add(x.toString());
    return out;
  }

  private Ridge.Kernel kernel(String k, String where) {
    return switch (k.toLowerCase(java.util.Locale.ROOT)) {
      case "linear" -> Ridge.Kernel.LINEAR;
      case "rbf" -> Ridge.Kernel.RBF;
      default ->
          throw new UserError(
              file + ": " + where + ".kernels: unknown kernel '" + k + "' (linear or rbf)");
    };
  }

  @SuppressWarnings("unchecked")
  private Map<String, String> families(Map<String, Object> s) {
    if (!s.containsKey("families")) return QuoteBan.DEFAULT_FAMILIES;
    Map<String, String> out = new LinkedHashMap<>();
    ((Map<String, Object>) map(s, "families", true)).forEach((k, v) -> out.put(k, v.toString()));
    return out;
  }

  private List<QuoteBan.Condition> conditions(Map<String, Object> s, String where) {
    if (!s.containsKey("conditions")) return QuoteBan.DEFAULT_CONDITIONS;
    if (!(s.get("conditions") instanceof List<?> l))
      throw new UserError(
          file + ": " + where + ".conditions: must be a list of lists of family names");
    List<QuoteBan.Condition> out = new ArrayList<>();
    for (Object c : l) {
      if (!(c instanceof List<?> fams))
        throw new UserError(
            file + ": " + where + ".conditions: each condition is a list of family names");
      List<String> names = fams.stream().map(Object::toString).toList();
      out.add(new QuoteBan.Condition(names.isEmpty() ? "none" : String.join("+", names), names));
    }
    return out;
  }
}
