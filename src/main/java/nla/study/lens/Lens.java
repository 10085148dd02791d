package nla.study.lens;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import nla.core.ActivationReconstructor;
import nla.core.ActivationVerbalizer;
import nla.core.Metrics;
import nla.core.RoundTrip;
import nla.core.Sidecar;
import nla.core.Verbalization;
import nla.core.VerbalizeOptions;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.model.ModelConfig;
import nla.model.SequenceInput;
import nla.text.ChatMessage;
import nla.text.Tokenizer;

/**
 * The per-token lens: runs the base model on a text, takes the layer-K activation (K from the AV's
 * sidecar) at each chosen position, verbalizes it with the AV and, given an AR, reconstructs and
 * scores it. The models are loaded one after the other where possible (the base is closed before
 * the AV opens), so a laptop needs room for the AV and AR, not for all three.
 */
public final class Lens {
  /**
   * Positions before this carry attention-sink activations with outlier norms; the reference's
   * training data samples positions ≥ 50 only (contract §6), so everything earlier is off its
   * distribution, and these the most.
   */
  public static final int EARLY_POSITIONS = 10;

  /** The training data's first position (contract §6: candidates are positions ≥ 50). */
  public static final int FIRST_TRAINED_POSITION = 50;

  /** A norm this many times the text's median (or below its inverse) is flagged. */
  public static final double OUTLIER_NORM_FACTOR = 3.0;

  /** What to run the base model on: plain text (tokenized with special tokens) or a chat turn. */
  public record Source(String text, boolean chat) {}

  /**
   * One looked-at position.
   *
   * @param decode null when the vector was unusable ({@link #error} says why)
   * @param score null without an AR (or for an unusable vector)
   */
  public record Position(
      int position,
      int tokenId,
      String token,
      boolean special,
      double norm,
      Verbalization decode,
      Metrics.Score score,
      String error,
      List<String> warnings) {}

  /**
   * @param ids the base model's input
   * @param tokens each id's text
   * @param denominator the FVE denominator and its origin; null without an AR
   */
  public record Result(
      int layer,
      int[] ids,
      String[] tokens,
      double medianNorm,
      List<Position> positions,
      Metrics.Denominator denominator) {}

  /** How the lens runs. */
  public record Options(
      VerbalizeOptions verbalize,
      Map<String, ?> chatTemplateVariables,
      int batchSize,
      Metrics.Denominator denominator) {}

  private Lens() {}

  /**
   * Checks that the base model and the AV belong together (hidden size = d_model, K within the
   * base's layers, same tokenizer), without loading weights.
   */
  public static int checkPair(Path baseDir, Path avDir, Tokenizer baseTokenizer) {
    Sidecar sidecar = Sidecar.load(avDir);
    if (sidecar.role() != Sidecar.Role.AV) {
      throw new UserError(
          "--av: " + avDir + " is an AR checkpoint (it has a value head), not an AV");
    }
    Integer k = sidecar.layerK();
    if (k == null) {
      throw new UserError("--av: " + sidecar.source() + " has no extraction.layer_index");
    }
    ModelConfig base = ModelConfig.load(baseDir);
    if (base.hiddenSize() != sidecar.dModel()) {
      throw new UserError(
          "--base/--av: the base model's hidden size is "
              + base.hiddenSize()
              + " but the AV reads d_model "
              + sidecar.dModel()
              + " vectors; the AV belongs to another base model");
    }
    if (k >= base.numLayers()) {
      throw new UserError(
          "--base/--av: the AV reads layer "
              + k
              + " but the base model has layers 0.."
              + (base.numLayers() - 1));
    }
    Tokenizer avTokenizer = Tokenizer.load(avDir);
    String mismatch = tokenizerMismatch(baseTokenizer, avTokenizer);
    if (mismatch != null) {
      throw new UserError(
          "--base/--av: the base model's tokenizer and the AV's differ ("
              + mismatch
              + "); the AV was trained on another model family");
    }
    return k;
  }

  // Text that exercises the parts where tokenizer families differ: spaces, digits, accents, CJK,
  // markup and the NLA injection characters.
  private static final String PROBE =
      " The lens reads layer activations: naïve café, 12345 + 6.7%, 東京タワー, <tag>{x}</tag>\n\t㈎㈜!";

  static String tokenizerMismatch(Tokenizer a, Tokenizer b) {
    int[] x = a.encode(PROBE, false).ids();
    int[] y = b.encode(PROBE, false).ids();
    if (Arrays.equals(x, y)) return null;
    int i = Arrays.mismatch(x, y);
    return "they tokenize a probe text differently from token "
        + i
        + " (vocabulary sizes "
        + a.vocabSize()
        + " and "
        + b.vocabSize()
        + ")";
  }

  /**
   * The base model's input ids: the text with special tokens, or a user turn of the chat template.
   */
  public static int[] inputIds(Tokenizer tokenizer, Source source) {
    int[] ids =
        source.chat()
            ? tokenizer.applyChatTemplate(List.of(new ChatMessage("user", source.text())), true)
            : tokenizer.encode(source.text(), true).ids();
    if (ids.length == 0) throw new UserError("the text is empty: nothing to look at");
    return ids;
  }

  /**
   * {@code all}, {@code last}, or a comma list of positions and ranges ({@code 3,5-9}); negative
   * positions count from the end ({@code -1} is the last).
   */
  public static int[] parsePositions(String spec, int length) {
    String s = spec.strip();
    if (s.equals("all")) {
      int[] all = new int[length];
      for (int i = 0; i < length; i++) all[i] = i;
      return all;
    }
    if (s.equals("last")) return new int[] {length - 1};
    List<Integer> out = new ArrayList<>();
    for (String part : s.split(",")) {
      String p = part.strip();
      try {
        int dash = p.indexOf('-', 1);
        if (dash > 0) {
          int from = position(Integer.parseInt(p.substring(0, dash).strip()), length, spec);
          int to = position(Integer.parseInt(p.substring(dash + 1).strip()), length, spec);
          if (to < from) throw new UserError("--positions: empty range " + p);
          for (int i = from; i <= to; i++) out.add(i);
        } else {
          out.add(position(Integer.parseInt(p), length, spec));
        }
      } catch (NumberFormatException e) {
        throw new UserError(
            "--positions: '" + p + "' is not a position (expected all, last, or e.g. 0,4,10-12)");
      }
    }
    return out.stream().distinct().mapToInt(Integer::intValue).toArray();
  }

  private static int position(int p, int length, String spec) {
    int q = p < 0 ? length + p : p;
    if (q < 0 || q >= length) {
      throw new UserError(
          "--positions: "
              + p
              + " is outside the text's "
              + length
              + " tokens (0.."
              + (length - 1)
              + ")");
    }
    return q;
  }

  /** Runs the lens. {@code arDir} may be null (no scores). */
  public static Result run(
      Path baseDir, Path avDir, Path arDir, Source source, String positionSpec, Options options) {
    Tokenizer baseTokenizer = Tokenizer.load(baseDir);
    int layer = checkPair(baseDir, avDir, baseTokenizer);
    // The chat template variables (e.g. Llama's date_string) pin the base's chat rendering too.
    int[] ids =
        inputIds(
            source.chat()
                ? baseTokenizer.withTemplateVariables(options.chatTemplateVariables())
                : baseTokenizer,
            source);
    int[] positions = parsePositions(positionSpec, ids.length);

    float[][] states;
    try (LanguageModel base = LanguageModel.load(baseDir)) {
      states = base.hiddenStates(List.of(SequenceInput.ofIds(ids)), new int[] {layer}).get(0)[0];
    }
    double[] norms = new double[ids.length];
    for (int i = 0; i < ids.length; i++) norms[i] = norm(states[i]);
    double median = medianNorm(norms);
    List<float[]> vectors = new ArrayList<>();
    for (int p : positions) vectors.add(states[p]);

    Map<Integer, String> errors = new HashMap<>();
    VerbalizeOptions verbalizeOptions =
        options
            .verbalize()
            .withRowLabels(positions)
            .withRowErrors(e -> errors.put(e.row(), e.message()));
    Map<Integer, Verbalization> decodes = new HashMap<>();
    Map<Integer, Metrics.Score> scores = new HashMap<>();
    Metrics.Denominator denominator = null;
    try (ActivationVerbalizer av =
        ActivationVerbalizer.open(avDir, options.chatTemplateVariables())) {
      av.withBatchSize(options.batchSize());
      if (arDir == null) {
        for (Verbalization v : av.verbalize(vectors, verbalizeOptions)) decodes.put(v.row(), v);
      } else {
        try (ActivationReconstructor ar = ActivationReconstructor.open(arDir)) {
          ar.withBatchSize(options.batchSize());
          denominator = options.denominator();
          if (denominator == null) {
            // By default the text's own vectors: every position past the early, sink-dominated ones
            // (all of them for a text too short to have any).
            List<float[]> reference = new ArrayList<>();
            int from = ids.length > EARLY_POSITIONS + 1 ? EARLY_POSITIONS : 0;
            for (int i = from; i < ids.length; i++) reference.add(states[i]);
            denominator =
                Metrics.Denominator.ofVectorSet(
                    reference,
                    ar.mseNorm(),
                    "this text's positions "
                        + from
                        + ".."
                        + (ids.length - 1)
                        + " at layer "
                        + layer);
          }
          RoundTrip.Result r =
              RoundTrip.run(av, ar, vectors, verbalizeOptions, denominator, "lens", decoded -> {});
          for (RoundTrip.Item it : r.items()) {
            decodes.put(it.verbalization().row(), it.verbalization());
            scores.put(it.verbalization().row(), it.score());
          }
        }
      }
    }

    String[] tokens = new String[ids.length];
    for (int i = 0; i < ids.length; i++) tokens[i] = baseTokenizer.tokenText(ids[i]);
    List<Position> out = new ArrayList<>();
    for (int p : positions) {
      boolean special = baseTokenizer.isSpecial(ids[p]);
      out.add(
          new Position(
              p,
              ids[p],
              tokens[p],
              special,
              norms[p],
              decodes.get(p),
              scores.get(p),
              errors.get(p),
              warnings(p, special, norms[p], median)));
    }
    return new Result(layer, ids, tokens, median, out, denominator);
  }

  /** The known-noisy cases, said plainly. */
  static List<String> warnings(int position, boolean special, double norm, double median) {
    List<String> w = new ArrayList<>();
    if (position < EARLY_POSITIONS) {
      w.add(
          "early position: the first tokens carry attention-sink activations and the NLA was trained"
              + " on positions >= "
              + FIRST_TRAINED_POSITION
              + "; read this one with suspicion");
    }
    if (special) {
      w.add("special token: the NLA was trained on ordinary tokens only");
    }
    if (median > 0 && norm > OUTLIER_NORM_FACTOR * median) {
      w.add(
          String.format(
              java.util.Locale.ROOT, "outlier norm: %.1fx the text's median", norm / median));
    } else if (median > 0 && norm < median / OUTLIER_NORM_FACTOR) {
      w.add(
          String.format(
              java.util.Locale.ROOT, "outlier norm: %.2fx the text's median", norm / median));
    }
    return w;
  }

  static double norm(float[] v) {
    double s = 0;
    for (float x : v) s += (double) x * x;
    return Math.sqrt(s);
  }

  /** The median norm over the positions past the first (position 0 is the sink in every family). */
  static double medianNorm(double[] norms) {
    double[] rest = norms.length > 1 ? Arrays.copyOfRange(norms, 1, norms.length) : norms.clone();
    Arrays.sort(rest);
    int n = rest.length;
    return n % 2 == 1 ? rest[n / 2] : (rest[n / 2 - 1] + rest[n / 2]) / 2;
  }
}
