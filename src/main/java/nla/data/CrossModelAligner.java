package nla.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
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

  record Pair(
      String docId,
      int[] idsA,
      int[] idsB,
      List<Integer> posA,
      List<Integer> posB,
      List<int[]> ends) {}

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
      List<Integer> posB = new ArrayList<>();
      List<int[]> ends = new ArrayList<>();
      for (int p : posA) {
        int end = encA.offsets()[p][1];
        int j = nearestByEnd(encB.offsets(), idsB, specialB, end);
        if (j < 0) continue;
        posB.add(j);
        ends.add(new int[] {p, end, encB.offsets()[j][1]});
      }
      if (!tally.keeps(posB.size(), sampler.positionsPerDoc())) continue;
      List<Integer> keptA = ends.stream().map(e -> e[0]).toList();
      pairs.add(new Pair(docId, idsA, idsB, keptA, posB, ends));
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
        for (int r = 0; r < p.posA().size(); r++) {
          int pa = p.posA().get(r);
          int pb = p.posB().get(r);
          addRows(rows, "A", a, sa.get(i), pa, statesA.get(i));
          addRows(rows, "B", b, sb.get(i), pb, statesB.get(i));
          int[] e = p.ends().get(r);
          ObjectNode line = JSON.createObjectNode();
          line.put("doc_id", p.docId());
          line.put("position_a", pa);
          line.put("position_b", pb);
          line.put("end_char_a", e[1]);
          line.put("end_char_b", e[2]);
          line.put("error_chars", Math.abs(e[2] - e[1]));
          report.add(line.toString());
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
