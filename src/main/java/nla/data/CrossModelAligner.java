package nla.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.text.Encoding;
import nla.text.Tokenizer;

/**
 * Extracts two base models' activations over the same documents at the same character positions
 * (the cross-family study, contract §7). Positions are sampled in model A exactly as {@link
 * Extractor} does; each is mapped to the model-B token whose end offset (in code points) is nearest
 * to the A token's end offset, among B's non-special tokens, the earlier one on a tie. The per-row
 * alignment error is that distance in characters.
 *
 * <p>Outputs: {@code A-L{K}} and {@code B-L{K}} rows in the same order (row i of A and row i of B
 * are one aligned pair), and one JSON report line per pair.
 */
public final class CrossModelAligner {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One side of the pair. */
  public record Side(LanguageModel model, Tokenizer tokenizer, int[] layers) {}

  private final Side a;
  private final Side b;
  private final PositionSampler sampler;
  private final int maxLength;
  private final int batchDocs;
  private final String corpusName;
  private final String split;

  public CrossModelAligner(
      Side a,
      Side b,
      PositionSampler sampler,
      int maxLength,
      int batchDocs,
      String corpusName,
      String split) {
    this.a = a;
    this.b = b;
    this.sampler = sampler;
    this.maxLength = maxLength;
    this.batchDocs = batchDocs;
    this.corpusName = corpusName;
    this.split = split;
  }

  public static String outputName(String side, int layer) {
    return side + "-L" + layer;
  }

  /**
   * The index of the token of {@code offsets} whose end is nearest {@code end}, skipping special
   * tokens; -1 when there is none.
   */
  public static int nearestByEnd(int[][] offsets, int[] ids, IntPredicate isSpecial, int end) {
    int best = -1;
    int bestError = Integer.MAX_VALUE;
    for (int j = 0; j < ids.length; j++) {
      if (isSpecial.test(ids[j])) continue;
      int error = Math.abs(offsets[j][1] - end);
      if (error < bestError) {
        best = j;
        bestError = error;
      }
    }
    return best;
  }

  /**
   * One aligned pair: model A's token at {@code positionA} and model B's at {@code positionB} of
   * one document, with their end offsets in code points. One line of the alignment report.
   */
  public record AlignedPair(
      String docId, int positionA, int positionB, int endCharA, int endCharB) {
    /** How far apart, in characters, the two tokens end: the alignment's error for this pair. */
    public int errorChars() {
      return Math.abs(endCharB - endCharA);
    }
  }

  /**
   * Maps each sampled A position to the B token ending nearest it ({@link #nearestByEnd}); a
   * position with no candidate in B is dropped.
   */
  public static List<AlignedPair> align(
      String docId,
      int[][] offsetsA,
      List<Integer> positionsA,
      int[][] offsetsB,
      int[] idsB,
      IntPredicate isSpecialB) {
    List<AlignedPair> out = new ArrayList<>();
    for (int p : positionsA) {
      int end = offsetsA[p][1];
      int j = nearestByEnd(offsetsB, idsB, isSpecialB, end);
      if (j >= 0) out.add(new AlignedPair(docId, p, j, end, offsetsB[j][1]));
    }
    return out;
  }

  /** The mean of {@link AlignedPair#errorChars} (0 for no pairs). */
  public static double meanErrorChars(List<AlignedPair> pairs) {
    double sum = 0;
    for (AlignedPair p : pairs) sum += p.errorChars();
    return pairs.isEmpty() ? 0 : sum / pairs.size();
  }

  /** One report line ({@code OUT/alignment.jsonl}). */
  static String reportLine(AlignedPair p) {
    ObjectNode line = JSON.createObjectNode();
    line.put("doc_id", p.docId());
    line.put("position_a", p.positionA());
    line.put("position_b", p.positionB());
    line.put("end_char_a", p.endCharA());
    line.put("end_char_b", p.endCharB());
    line.put("error_chars", p.errorChars());
    return line.toString();
  }

  /**
   * Reads an alignment report written by {@code nla align}. A file that is not one (a line that is
   * not JSON, or lacks a field) is a user error naming the file and line.
   */
  public static List<AlignedPair> readReport(Path report) {
    List<String> lines;
    try {
      lines = Files.readAllLines(report);
    } catch (IOException e) {
      throw new UserError("cannot read alignment report " + report + ": " + e.getMessage());
    }
    List<AlignedPair> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) continue;
      String where = report + " line " + (i + 1);
      JsonNode n;
      try {
        n = JSON.readTree(lines.get(i));
      } catch (IOException e) {
        throw new UserError(where + ": not JSON");
      }
      for (String f : List.of("doc_id", "position_a", "position_b", "end_char_a", "end_char_b"))
        if (n == null || !n.hasNonNull(f))
          throw new UserError(where + ": missing field '" + f + "' (not an nla align report)");
      out.add(
          new AlignedPair(
              n.get("doc_id").asText(),
              n.get("position_a").asInt(),
              n.get("position_b").asInt(),
              n.get("end_char_a").asInt(),
              n.get("end_char_b").asInt()));
    }
    return out;
  }

  record Pair(String docId, int[] idsA, int[] idsB, List<AlignedPair> aligned) {
    List<Integer> posA() {
      return aligned.stream().map(AlignedPair::positionA).toList();
    }

    List<Integer> posB() {
      return aligned.stream().map(AlignedPair::positionB).toList();
    }
  }

  public ChunkResult extract(List<Document> docs) {
    IntPredicate specialA = Extractor.referenceSpecialIds(a.tokenizer());
    IntPredicate specialB = Extractor.referenceSpecialIds(b.tokenizer());
    DocumentTally tally = new DocumentTally();
    List<Pair> pairs = new ArrayList<>();
    for (Document doc : docs) {
      if (!tally.hasText(doc)) continue;
      String docId = corpusName + ":" + split + ":" + doc.index();
      Encoding encA = a.tokenizer().encode(doc.text(), true);
      Encoding encB = b.tokenizer().encode(doc.text(), true);
      int[] idsA = Extractor.truncate(encA.ids(), maxLength);
      int[] idsB = Extractor.truncate(encB.ids(), maxLength);
      List<Integer> posA = sampler.sample(docId, idsA, specialA);
      List<AlignedPair> aligned =
          align(docId, encA.offsets(), posA, encB.offsets(), idsB, specialB);
      if (!tally.keeps(aligned.size(), sampler.positionsPerDoc())) continue;
      pairs.add(new Pair(docId, idsA, idsB, aligned));
    }
    Map<String, List<ActivationRow>> rows = new LinkedHashMap<>();
    for (int k : a.layers()) rows.put(outputName("A", k), new ArrayList<>());
    for (int k : b.layers()) rows.put(outputName("B", k), new ArrayList<>());
    List<String> report = new ArrayList<>();
    long rowCount = 0;
    for (int from = 0; from < pairs.size(); from += batchDocs) {
      List<Pair> batch = pairs.subList(from, Math.min(pairs.size(), from + batchDocs));
      List<Extractor.Sampled> sa = new ArrayList<>();
      List<Extractor.Sampled> sb = new ArrayList<>();
      for (Pair p : batch) {
        sa.add(new Extractor.Sampled(p.docId(), p.idsA(), p.posA()));
        sb.add(new Extractor.Sampled(p.docId(), p.idsB(), p.posB()));
      }
      List<float[][][]> statesA = Extractor.hiddenStates(a.model(), sa, a.layers());
      List<float[][][]> statesB = Extractor.hiddenStates(b.model(), sb, b.layers());
      for (int i = 0; i < batch.size(); i++) {
        Pair p = batch.get(i);
        for (AlignedPair pair : p.aligned()) {
          addRows(rows, "A", a, sa.get(i), pair.positionA(), statesA.get(i));
          addRows(rows, "B", b, sb.get(i), pair.positionB(), statesB.get(i));
          report.add(reportLine(pair));
          rowCount++;
        }
      }
    }
    return new ChunkResult(rows, report, tally.stats(docs.size(), rowCount));
  }

  private static void addRows(
      Map<String, List<ActivationRow>> rows,
      String side,
      Side s,
      Extractor.Sampled sampled,
      int pos,
      float[][][] states) {
    Extractor.addRows(
        rows, k -> outputName(side, k), s.tokenizer(), s.layers(), sampled, pos, states);
  }
}
