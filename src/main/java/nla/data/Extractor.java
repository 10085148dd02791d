package nla.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import nla.model.LanguageModel;
import nla.model.SequenceInput;
import nla.text.Tokenizer;

/**
 * Extracts activation rows from documents as the reference's stage 0 does (contract §6): each
 * document is tokenized with the base tokenizer's defaults ({@code add_special_tokens=True}, no
 * chat template) and right-truncated to {@code maxLength}; positions are sampled by {@link
 * PositionSampler}; the model runs once per document for all requested blocks, and each sampled
 * position gives one row per block: {@code n_raw_tokens = pos + 1}, the text decoded from {@code
 * ids[:pos+1]} without special tokens, the raw vector, the block index and the {@code doc_id}.
 */
public final class Extractor {
  private final LanguageModel model;
  private final Tokenizer tokenizer;
  private final int[] layers;
  private final PositionSampler sampler;
  private final int maxLength;
  private final int batchDocs;
  private final String corpusName;
  private final String split;
  private final IntPredicate special;

  public Extractor(
      LanguageModel model,
      Tokenizer tokenizer,
      int[] layers,
      PositionSampler sampler,
      int maxLength,
      int batchDocs,
      String corpusName,
      String split) {
    if (maxLength < 1) throw new nla.io.UserError("--max-length must be >= 1");
    if (batchDocs < 1) throw new nla.io.UserError("--batch must be >= 1");
    this.model = model;
    this.tokenizer = tokenizer;
    this.layers = layers.clone();
    this.sampler = sampler;
    this.maxLength = maxLength;
    this.batchDocs = batchDocs;
    this.corpusName = corpusName;
    this.split = split;
    this.special = referenceSpecialIds(tokenizer);
  }

  /**
   * The ids the reference excludes from the candidates: {@code tokenizer.all_special_ids} (the
   * named special tokens and the additional/extra special tokens), which is narrower than "every
   * added token marked special".
   */
  public static IntPredicate referenceSpecialIds(Tokenizer tokenizer) {
    BitSet ids = new BitSet();
    for (int id : tokenizer.allSpecialIds()) ids.set(id);
    return ids::get;
  }

  /** The output name of block K's rows. */
  public static String outputName(int layer) {
    return "L" + layer;
  }

  public String docId(long index) {
    return corpusName + ":" + split + ":" + index;
  }

  /** A document's ids as the reference's extractor sees them: with special tokens, truncated. */
  public static int[] tokenize(Tokenizer tokenizer, String text, int maxLength) {
    return truncate(tokenizer.encode(text, true).ids(), maxLength);
  }

  static int[] truncate(int[] ids, int maxLength) {
    // HF right-truncation keeps the first max_length ids. The base tokenizers add only a leading
    // BOS (Gemma, Llama) or nothing (Qwen), so slicing is the same as HF's truncation here.
    return ids.length > maxLength ? Arrays.copyOf(ids, maxLength) : ids;
  }

  /** A document that has positions to read, and the prefix of its ids the model must see. */
  record Sampled(String docId, int[] ids, List<Integer> positions) {}

  public ChunkResult extract(List<Document> docs) {
    DocumentTally tally = new DocumentTally();
    List<Sampled> sampled = new ArrayList<>();
    for (Document doc : docs) {
      if (!tally.hasText(doc)) continue;
      String docId = docId(doc.index());
      int[] ids = tokenize(tokenizer, doc.text(), maxLength);
      List<Integer> positions = sampler.sample(docId, ids, special);
      if (!tally.keeps(positions.size(), sampler.positionsPerDoc())) continue;
      sampled.add(new Sampled(docId, ids, positions));
    }
    Map<String, List<ActivationRow>> rows = new LinkedHashMap<>();
    for (int layer : layers) rows.put(outputName(layer), new ArrayList<>());
    long rowCount = 0;
    for (int from = 0; from < sampled.size(); from += batchDocs) {
      List<Sampled> batch = sampled.subList(from, Math.min(sampled.size(), from + batchDocs));
      List<float[][][]> states = hiddenStates(model, batch, layers);
      for (int b = 0; b < batch.size(); b++) {
        Sampled s = batch.get(b);
        for (int pos : s.positions()) {
          addRows(rows, Extractor::outputName, tokenizer, layers, s, pos, states.get(b));
          rowCount++;
        }
      }
    }
    return new ChunkResult(rows, List.of(), tally.stats(docs.size(), rowCount));
  }

  /**
   * The rows of one sampled position, one per block, each under its output's name: the state at
   * {@code pos} and the document's text up to and including that token.
   */
  static void addRows(
      Map<String, List<ActivationRow>> rows,
      IntFunction<String> outputName,
      Tokenizer tokenizer,
      int[] layers,
      Sampled s,
      int pos,
      float[][][] states) {
    String text = tokenizer.decode(Arrays.copyOf(s.ids(), pos + 1), true);
    for (int li = 0; li < layers.length; li++) {
      rows.get(outputName.apply(layers[li]))
          .add(new ActivationRow(pos + 1, text, states[li][pos], layers[li], s.docId()));
    }
  }

  /**
   * The blocks' outputs for a batch, each sequence cut after its last sampled position: a causal
   * model's state at a position depends only on the tokens up to it, so the tail is never needed.
   */
  static List<float[][][]> hiddenStates(LanguageModel model, List<Sampled> batch, int[] layers) {
    List<SequenceInput> inputs = new ArrayList<>();
    for (Sampled s : batch) {
      int last = s.positions().stream().mapToInt(Integer::intValue).max().orElseThrow();
      inputs.add(SequenceInput.ofIds(Arrays.copyOf(s.ids(), last + 1)));
    }
    return model.hiddenStates(inputs, layers);
  }
}
