package nla.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Chooses the token positions of a document whose activations are extracted, exactly as the
 * reference's {@code stage0_extract._sample_positions} (contract §6): candidates are the positions
 * {@code i >= 50} whose id is not a special token, and the positions are {@code
 * random.Random(sha256(f"{seed}|{doc_id}").digest()).sample(candidates, min(k, len(candidates)))},
 * in sample order. Keying the generator on the document id makes a document's positions independent
 * of the slice, chunking and order it was processed in.
 */
public final class PositionSampler {
  /** Positions before this have too little left context to be meaningful (the reference's 50). */
  public static final int MIN_POSITION = 50;

  private final long seed;
  private final int positionsPerDoc;

  public PositionSampler(long seed, int positionsPerDoc) {
    if (positionsPerDoc < 1) throw new IllegalArgumentException("positionsPerDoc must be >= 1");
    this.seed = seed;
    this.positionsPerDoc = positionsPerDoc;
  }

  public long seed() {
    return seed;
  }

  public int positionsPerDoc() {
    return positionsPerDoc;
  }

  /** The candidate positions of a tokenized document, ascending. */
  public static List<Integer> candidates(int[] tokenIds, IntPredicate isSpecial) {
    List<Integer> candidates = new ArrayList<>();
    for (int i = MIN_POSITION; i < tokenIds.length; i++) {
      if (!isSpecial.test(tokenIds[i])) candidates.add(i);
    }
    return candidates;
  }

  /** The sampled positions, in Python's sample order; empty when there are no candidates. */
  public List<Integer> sample(String docId, int[] tokenIds, IntPredicate isSpecial) {
    List<Integer> candidates = candidates(tokenIds, isSpecial);
    if (candidates.isEmpty()) return List.of();
    return rngFor(docId).sample(candidates, Math.min(positionsPerDoc, candidates.size()));
  }

  /** The per-document generator: seeded with the 32 bytes of sha256("{seed}|{doc_id}"). */
  public PythonRandom rngFor(String docId) {
    return new PythonRandom(sha256((seed + "|" + docId).getBytes(StandardCharsets.UTF_8)));
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
