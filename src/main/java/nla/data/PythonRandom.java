package nla.data;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * CPython's {@code random.Random}, bit for bit, for the parts the reference pipeline uses:
 * version-2 seeding from bytes, {@code getrandbits}, {@code _randbelow} and {@code sample}.
 *
 * <p>The reference picks activation positions with {@code
 * random.Random(sha256(...).digest()).sample(candidates, k)} (contract §6), so the same document
 * gets the same positions here only if every step matches CPython 3.11/3.12 exactly: the seed
 * integer, the MT19937 {@code init_by_array} key, the 32-bit draws, the rejection loop of {@code
 * _randbelow}, and which of {@code sample}'s two algorithms runs.
 */
public final class PythonRandom {
  private static final int N = 624;
  private static final int M = 397;
  private static final int MATRIX_A = 0x9908b0df;
  private static final int UPPER_MASK = 0x80000000;
  private static final int LOWER_MASK = 0x7fffffff;

  private final int[] mt = new int[N];
  private int mti = N + 1;

  /**
   * {@code random.Random(seed)} for a {@code bytes} seed (version 2): the seed integer is {@code
   * int.from_bytes(seed + sha512(seed).digest(), 'big')}.
   */
  public PythonRandom(byte[] seed) {
    byte[] digest = sha512(seed);
    byte[] all = new byte[seed.length + digest.length];
    System.arraycopy(seed, 0, all, 0, seed.length);
    System.arraycopy(digest, 0, all, seed.length, digest.length);
    seedFromInteger(new BigInteger(1, all));
  }

  /** {@code random.Random(seed)} for a non-negative Python {@code int} seed. */
  public PythonRandom(BigInteger seed) {
    seedFromInteger(seed.abs());
  }

  /**
   * CPython's {@code random_seed}: the absolute value's 32-bit words, least significant first, and
   * as many as its bit length needs (at least one), so leading zero bytes shorten the key.
   */
  private void seedFromInteger(BigInteger value) {
    int bits = value.bitLength();
    int keyUsed = bits == 0 ? 1 : (bits - 1) / 32 + 1;
    int[] key = new int[keyUsed];
    for (int i = 0; i < keyUsed; i++) key[i] = value.shiftRight(32 * i).intValue();
    initByArray(key);
  }

  private void initGenrand(int s) {
    mt[0] = s;
    for (mti = 1; mti < N; mti++) {
      mt[mti] = 1812433253 * (mt[mti - 1] ^ (mt[mti - 1] >>> 30)) + mti;
    }
  }

  private void initByArray(int[] key) {
    initGenrand(19650218);
    int i = 1;
    int j = 0;
    for (int k = Math.max(N, key.length); k > 0; k--) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (int k = N - 1; k > 0; k--) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
  }

  /** One 32-bit output of MT19937, as an unsigned value in a long. */
  public long nextUint32() {
    if (mti >= N) {
      int kk;
      for (kk = 0; kk < N - M; kk++) {
        int y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        int y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
      }
      int y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
      mti = 0;
    }
    int y = mt[mti++];
    y ^= (y >>> 11);
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= (y >>> 18);
    return y & 0xffffffffL;
  }

  /**
   * {@code getrandbits(k)}: up to 32 bits come from one draw's top bits; wider values are filled
   * from the least significant 32-bit word upward, the last word keeping its top bits.
   */
  public BigInteger getrandbits(int k) {
    if (k < 0) throw new IllegalArgumentException("number of bits must be non-negative");
    if (k == 0) return BigInteger.ZERO;
    if (k <= 32) return BigInteger.valueOf(nextUint32() >>> (32 - k));
    int words = (k - 1) / 32 + 1;
    BigInteger result = BigInteger.ZERO;
    int remaining = k;
    for (int i = 0; i < words; i++, remaining -= 32) {
      long r = nextUint32();
      if (remaining < 32) r >>>= (32 - remaining);
      result = result.or(BigInteger.valueOf(r).shiftLeft(32 * i));
    }
    return result;
  }

  /** {@code getrandbits(k)} for {@code k <= 63}, as a long. */
  public long getrandbitsLong(int k) {
    if (k < 0 || k > 63) throw new IllegalArgumentException("k must be in [0, 63]: " + k);
    if (k <= 32) return k == 0 ? 0 : nextUint32() >>> (32 - k);
    long low = nextUint32();
    long high = nextUint32() >>> (64 - k);
    return (high << 32) | low;
  }

  /** {@code _randbelow(n)} ({@code _randbelow_with_getrandbits}): rejection on bit_length(n). */
  public long randbelow(long n) {
    if (n <= 0) throw new IllegalArgumentException("n must be positive: " + n);
    int k = 64 - Long.numberOfLeadingZeros(n);
    long r = getrandbitsLong(k);
    while (r >= n) r = getrandbitsLong(k);
    return r;
  }

  /** {@code random()}: a double in [0, 1) from two draws (27 + 26 bits). */
  public double random() {
    long a = nextUint32() >>> 5;
    long b = nextUint32() >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /**
   * {@code sample(population, k)}, with CPython's choice between tracking a pool of the unpicked
   * (small populations) and a set of picked indices (large ones). The choice changes which draws
   * happen, so it is reproduced exactly: {@code setsize = 21}, plus {@code 4 ** ceil(log(3k, 4))}
   * when {@code k > 5}; the pool when {@code n <= setsize}.
   */
  public <T> List<T> sample(List<T> population, int k) {
    int n = population.size();
    if (k < 0 || k > n) {
      throw new IllegalArgumentException("Sample larger than population or is negative");
    }
    List<T> result = new ArrayList<>(k);
    if (n <= setSize(k)) {
      List<T> pool = new ArrayList<>(population);
      for (int i = 0; i < k; i++) {
        int j = (int) randbelow(n - i);
        result.add(pool.get(j));
        pool.set(j, pool.get(n - i - 1)); // move a non-selected item into the vacancy
      }
    } else {
      Set<Integer> selected = new HashSet<>();
      for (int i = 0; i < k; i++) {
        int j = (int) randbelow(n);
        while (selected.contains(j)) j = (int) randbelow(n);
        selected.add(j);
        result.add(population.get(j));
      }
    }
    return result;
  }

  /**
   * CPython computes {@code 4 ** ceil(math.log(k * 3, 4))} in floating point; 3k is never a power
   * of 4, so the exact answer (the smallest power of 4 above 3k) is what the float expression
   * yields, and integer arithmetic gets it without depending on libm's rounding.
   */
  static long setSize(int k) {
    long size = 21;
    if (k > 5) {
      long power = 1;
      while (power < 3L * k) power *= 4;
      size += power;
    }
    return size;
  }

  static byte[] sha512(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-512").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
