package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import nla.backend.DeviceMemoryError;
import nla.core.Metrics;
import nla.core.Reconstructor;
import nla.core.Verbalization;
import nla.core.VerbalizeOptions;
import nla.io.ProgressBar;

/**
 * The resumable steps every study is made of: decoding rows with an AV and scoring explanations
 * with an AR. Each writes one journal line per finished item; items already in the journal are read
 * back, never recomputed. Results do not depend on how the work was batched or interrupted: every
 * decode's random stream is derived from the run seed and its row label (see {@link
 * VerbalizeOptions#sampleSeed}).
 */
public final class Steps {
  private Steps() {}

  /** One decode as stored. {@code explanation} is null for a missing-tag decode. */
  public record Decode(int row, int sample, String text, String explanation) {
    public boolean missingTag() {
      return explanation == null;
    }

    /**
     * What the AR reads: the explanation, or for a missing-tag decode the raw text (the contract
     * keeps it and counts it rather than dropping the row).
     */
    public String arInput() {
      return explanation != null ? explanation : text;
    }
  }

  static String key(int row, int sample) {
    return row + "/" + sample;
  }

  /**
   * Decodes every row of {@code acts} {@code options.samples()} times with {@code nla}'s AV into
   * journal {@code <study>/<set>.jsonl}; returns [row][sample]. Every row still to do goes to the
   * AV at once, which keeps its batch full (as many decodes as its batch size run together, a
   * finished one replaced at the next step), and each decode is journaled as it finishes.
   */
  public static Decode[][] decodes(
      RunDir run, String study, String set, Nla nla, ActivationSet acts, VerbalizeOptions options) {
    Journal j = decodeJournal(run, study + " " + set, nla, acts, options);
    int n = acts.size();
    int samples = options.samples();
    List<Integer> todo = new ArrayList<>();
    for (int r = 0; r < n; r++) if (!allSamples(j, r, samples)) todo.add(r);
    List<float[]> vectors = new ArrayList<>(todo.size());
    int[] labels = new int[todo.size()];
    for (int i = 0; i < todo.size(); i++) {
      vectors.add(acts.vectors().get(todo.get(i)));
      labels[i] = todo.get(i);
    }
    try (ProgressBar p =
            ProgressBar.onTerminal(study + " " + set + " (AV)", "it").start(n, n - todo.size());
        GroupedAppends pending = new GroupedAppends(j)) {
      int[] reported = new int[n]; // samples of each row handed over so far
      try {
        if (!todo.isEmpty()) {
          nla.av()
              .verbalizeEach(
                  vectors,
                  options.withRowLabels(labels),
                  v -> {
                    String k = key(v.row(), v.sample());
                    if (!j.has(k))
                      pending.add(decodeRecord(j, k, v)); // else: kept from a cut-off run
                    if (++reported[v.row()] == samples) p.advance(1);
                  });
        }
      } catch (DeviceMemoryError e) {
        pending.close(); // what finished before it is kept
        throw j.outOfMemory(e);
      }
    }
    Decode[][] result = new Decode[n][samples];
    for (int r = 0; r < n; r++)
      for (int s = 0; s < samples; s++) {
        JsonNode rec = j.get(key(r, s));
        if (rec == null)
          throw new IllegalStateException("AV returned no decode for row " + r + " sample " + s);
        JsonNode e = rec.get("explanation");
        result[r][s] =
            new Decode(r, s, rec.get("text").asText(), e == null || e.isNull() ? null : e.asText());
      }
    return result;
  }

  private static ObjectNode decodeRecord(Journal j, String key, Verbalization v) {
    ObjectNode rec = j.newRecord(key);
    rec.put("row", v.row());
    rec.put("sample", v.sample());
    rec.put("text", v.text());
    if (v.explanation() == null) rec.putNull("explanation");
    else rec.put("explanation", v.explanation());
    rec.put("missing_tag", v.missingTag());
    return rec;
  }

  /**
   * Finished items on their way to a journal, written together: when {@link #FLUSH_ITEMS} wait or
   * {@link #FLUSH_NANOS} have passed since the last write, and at close. A GPU finishes decodes
   * many times a second, on the thread that runs its steps; one force to disk for each would stall
   * the steps. A kill loses, besides the decodes still running, those that finished within a second
   * of the last write (fewer than {@link #FLUSH_ITEMS}); an exception loses none of them.
   */
  static final class GroupedAppends implements AutoCloseable {
    static final int FLUSH_ITEMS = 64;
    static final long FLUSH_NANOS = 1_000_000_000L;

    private final Journal journal;
    private final List<ObjectNode> waiting = new ArrayList<>();
    private long lastWrite = System.nanoTime();

    GroupedAppends(Journal journal) {
      this.journal = journal;
    }

    void add(ObjectNode record) {
      waiting.add(record);
      if (waiting.size() >= FLUSH_ITEMS || System.nanoTime() - lastWrite >= FLUSH_NANOS) write();
    }

    private void write() {
      List<ObjectNode> batch = List.copyOf(waiting);
      waiting.clear();
      lastWrite = System.nanoTime();
      journal.appendAll(batch);
    }

    /** Writes what is waiting. */
    @Override
    public void close() {
      if (!waiting.isEmpty()) write();
    }
  }

  /** Where a run keeps its decodes: one journal per (AV, activation set, decoding options). */
  public static final String DECODES = "decodes";

  /**
   * Decodes are shared between studies: the same AV on the same vectors with the same options
   * (eval's greedy decodes and quote-ban's no-ban condition, say) is decoded once. The journal is
   * named by a fingerprint of all three; a sidecar JSON beside it records what they were and which
   * studies used it, so §3 can find every decode set of an activation set.
   */
  static Journal decodeJournal(
      RunDir run, String label, Nla nla, ActivationSet acts, VerbalizeOptions o) {
    String what =
        String.join(
            "|",
            nla.hash(),
            acts.hash(),
            Double.toString(o.temperature()),
            Double.toString(o.topP()),
            Integer.toString(o.topK()),
            Long.toString(o.seed()),
            Integer.toString(o.samples()),
            Integer.toString(o.maxNewTokens()),
            Boolean.toString(o.ignoreEos()),
            String.valueOf(o.banChars()),
            String.valueOf(o.customPrompt()));
    String name = nla.name() + "." + fingerprint(what);
    Path side = run.dir().resolve(DECODES).resolve(name + ".json");
    ObjectNode meta;
    try {
      meta =
          Files.exists(side)
              ? (ObjectNode) RunDir.JSON.readTree(side.toFile())
              : RunDir.JSON.createObjectNode();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    meta.put("nla", nla.name());
    meta.put("activations", acts.name());
    meta.put("activations_hash", acts.hash());
    meta.put("temperature", o.temperature());
    meta.put("samples", o.samples());
    meta.put("seed", o.seed());
    meta.put("max_new_tokens", o.maxNewTokens());
    if (o.banChars() == null) meta.putNull("ban_chars");
    else meta.put("ban_chars", o.banChars());
    var labels = meta.has("labels") ? (ArrayNode) meta.get("labels") : meta.putArray("labels");
    boolean known = false;
    for (JsonNode l : labels) known |= l.asText().equals(label);
    if (!known) labels.add(label);
    RunDir.writeAtomically(side, meta);
    return run.journal(DECODES, name);
  }

  private static String fingerprint(String s) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean allSamples(Journal j, int row, int samples) {
    for (int s = 0; s < samples; s++) if (!j.has(key(row, s))) return false;
    return true;
  }

  /** One scored item as stored. */
  public record Scored(String key, double mse, double cos, double fve) {}

  /**
   * Reconstructs each keyed text with {@code nla}'s AR and scores it against its gold vector
   * (mse_nrm at the AR's mse_scale, cos, fve with {@code denominator}) into journal {@code
   * <study>/<name>.jsonl}. Returns the scores in the order of {@code keys}.
   */
  public static List<Scored> scores(
      RunDir run,
      String study,
      String name,
      Nla nla,
      List<String> keys,
      List<String> texts,
      List<float[]> golds,
      Metrics.Denominator denominator,
      int batch) {
    return scoresAgainst(run, study, name, nla, keys, texts, List.of(golds), denominator, batch)
        .get(0);
  }

  /**
   * Like {@link #scores}, but each reconstruction is scored against several gold sets (e.g. the
   * true pairing and a shuffled null) from one AR call: the AR is the expensive part. Returns one
   * list per gold set.
   */
  public static List<List<Scored>> scoresAgainst(
      RunDir run,
      String study,
      String name,
      Nla nla,
      List<String> keys,
      List<String> texts,
      List<List<float[]>> goldSets,
      Metrics.Denominator denominator,
      int batch) {
    Journal j = run.journal(study, name);
    List<Integer> todo = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) if (!j.has(keys.get(i))) todo.add(i);
    try (ProgressBar p =
        ProgressBar.onTerminal(study + " " + name + " (AR)", "it")
            .start(keys.size(), keys.size() - todo.size())) {
      for (int from = 0; from < todo.size(); from += batch) {
        List<Integer> idx = todo.subList(from, Math.min(todo.size(), from + batch));
        List<String> in = new ArrayList<>();
        for (int i : idx) in.add(texts.get(i));
        float[][] preds;
        try {
          preds = nla.ar().reconstruct(in);
        } catch (DeviceMemoryError e) {
          throw j.outOfMemory(e);
        }
        for (int b = 0; b < idx.size(); b++) {
          int i = idx.get(b);
          ObjectNode rec = j.newRecord(keys.get(i));
          var mse = rec.putArray("mse_nrm");
          var cos = rec.putArray("cos");
          var fve = rec.putArray("fve_nrm");
          for (List<float[]> golds : goldSets) {
            Metrics.Score s =
                Metrics.score(preds[b], golds.get(i), nla.ar().mseNorm(), denominator);
            mse.add(s.mseNrm());
            cos.add(s.cos());
            fve.add(s.fveNrm());
          }
          j.append(rec);
        }
        p.advance(idx.size());
      }
    }
    List<List<Scored>> out = new ArrayList<>();
    for (int g = 0; g < goldSets.size(); g++) {
      List<Scored> set = new ArrayList<>();
      for (String k : keys) {
        JsonNode r = j.get(k);
        set.add(
            new Scored(
                k,
                r.get("mse_nrm").get(g).asDouble(),
                r.get("cos").get(g).asDouble(),
                r.get("fve_nrm").get(g).asDouble()));
      }
      out.add(set);
    }
    return out;
  }

  /** The eval-set denominator: Var(v_nrm) of these vectors at the AR's mse_scale. */
  public static Metrics.Denominator denominator(ActivationSet acts, Reconstructor ar) {
    return Metrics.Denominator.ofVectorSet(acts.vectors(), ar.mseNorm(), acts.name());
  }

  static double[] column(List<Scored> s, java.util.function.ToDoubleFunction<Scored> f) {
    return s.stream().mapToDouble(f).toArray();
  }

  static Map<String, Object> params(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }
}
