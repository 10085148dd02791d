package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import nla.core.VerbalizeOptions;

/**
 * What a study runs with: the plan's common settings, its NLA pairs and activation sets by name
 * (opened once and shared by the plan's studies), and its run directory, opened under an identity
 * that records the study's settings and input hashes in the manifest.
 */
public final class StudyContext {
  private final Path runDir;
  private final String study;
  private final String engine;
  private final long seed;
  private final int batch;
  private final int limit;
  private final int maxNewTokens;
  private final boolean ignoreEos;
  private final Map<String, Object> settings;
  private final Function<String, Nla> nlas;
  private final Function<String, ActivationSet> activations;

  StudyContext(
      Path runDir,
      String study,
      String engine,
      long seed,
      int batch,
      int limit,
      int maxNewTokens,
      boolean ignoreEos,
      Map<String, Object> settings,
      Function<String, Nla> nlas,
      Function<String, ActivationSet> activations) {
    this.runDir = runDir;
    this.study = study;
    this.engine = engine;
    this.seed = seed;
    this.batch = batch;
    this.limit = limit;
    this.maxNewTokens = maxNewTokens;
    this.ignoreEos = ignoreEos;
    this.settings = settings;
    this.nlas = nlas;
    this.activations = activations;
  }

  /** The seed of every random choice. */
  public long seed() {
    return seed;
  }

  /** Rows per AV/AR batch (changes no result). */
  public int batch() {
    return batch;
  }

  /** The first rows of every activation set the plan uses. */
  public int limit() {
    return limit;
  }

  public int maxNewTokens() {
    return maxNewTokens;
  }

  /**
   * Whether every decode runs to {@link #maxNewTokens} past the AV's EOS (the plan's {@code
   * ignore_eos}): fixed-length decodes, for timing a study at a known number of tokens.
   */
  public boolean ignoreEos() {
    return ignoreEos;
  }

  /** Greedy decoding at the plan's seed and generation budget: what most studies decode with. */
  public VerbalizeOptions greedy() {
    return VerbalizeOptions.greedy()
        .withSampling(0, 1, 0, seed)
        .withMaxNewTokens(maxNewTokens, ignoreEos);
  }

  /** The plan's NLA pair {@code name}, opened at first use. */
  public Nla nla(String name) {
    return nlas.apply(name);
  }

  /**
   * The plan's activation set {@code name} (its first {@link #limit} rows), loaded at first use.
   */
  public ActivationSet activations(String name) {
    return activations.apply(name);
  }

  /** Another study's summary in the same run directory, or null if it has not finished. */
  public JsonNode summaryOf(String otherStudy) {
    return RunDir.readSummary(runDir, otherStudy);
  }

  /**
   * Opens (or resumes) the run directory for this study. Its identity holds the study's settings as
   * the plan gave them plus the limit and generation budget ({@code max_new_tokens}, {@code
   * ignore_eos}), and {@code inputs}' hashes; batch size changes nothing in the results (per-row
   * seeds), so resuming with another is fine.
   */
  public RunDir open(Map<String, String> inputs) {
    Map<String, Object> params = new LinkedHashMap<>(settings);
    params.put("limit", limit);
    params.put("max_new_tokens", maxNewTokens);
    params.put("ignore_eos", ignoreEos);
    return RunDir.open(runDir, new RunDir.Identity(study, seed, engine, params, inputs));
  }
}
