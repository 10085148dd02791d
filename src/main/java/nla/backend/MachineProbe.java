package nla.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures what this JVM can get out of the machine: memory read bandwidth (a STREAM-like sum over
 * a buffer far larger than the caches) and peak fp32 FMA rate (independent vector FMA chains on
 * every thread). These are the two roofs a decode step and a prefill are judged against.
 */
public final class MachineProbe {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private MachineProbe() {}

  /** Best-of-{@code repeats} read bandwidth in GB/s (1e9 bytes), using {@code threads} threads. */
  public static double readBandwidthGBs(long bytes, int threads, int repeats) {
    long floats = bytes / 4 / (threads * (long) F.length()) * threads * F.length();
    try (Arena arena = Arena.ofShared();
        ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      MemorySegment buf = arena.allocate(floats * 4, 64);
      for (long i = 0; i < floats; i++) buf.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.5f);
      long perThread = floats / threads;
      double best = 0;
      double sink = 0;
      for (int r = 0; r < repeats; r++) {
        long t0 = System.nanoTime();
        List<Future<Float>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          long from = t * perThread;
          parts.add(pool.submit(() -> sum(buf, from, perThread)));
        }
        for (Future<Float> f : parts) sink += f.get();
        double seconds = (System.nanoTime() - t0) / 1e9;
        best = Math.max(best, floats * 4 / seconds / 1e9);
      }
      if (sink == 42) System.out.print(""); // keeps the sums alive
      return best;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static float sum(MemorySegment buf, long from, long count) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    long step = F.length() * 4L;
    long end = (from + count) * 4;
    long i = from * 4;
    for (; i + 4 * step <= end; i += 4 * step) {
      a0 = a0.add(FloatVector.fromMemorySegment(F, buf, i, ByteOrder.nativeOrder()));
      a1 = a1.add(FloatVector.fromMemorySegment(F, buf, i + step, ByteOrder.nativeOrder()));
      a2 = a2.add(FloatVector.fromMemorySegment(F, buf, i + 2 * step, ByteOrder.nativeOrder()));
      a3 = a3.add(FloatVector.fromMemorySegment(F, buf, i + 3 * step, ByteOrder.nativeOrder()));
    }
    for (; i < end; i += step) {
      a0 = a0.add(FloatVector.fromMemorySegment(F, buf, i, ByteOrder.nativeOrder()));
    }
    return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
  }

  /** Peak fp32 GFLOP/s (an FMA counts as 2 flops) with {@code threads} threads. */
  public static double peakGflops(int threads, long seconds) {
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      long iterations = 20_000_000L;
      for (int i = 0; i < 50; i++) fmaChains(100_000); // let C2 compile the loop before timing it
      double best = 0;
      long deadline = System.nanoTime() + seconds * 1_000_000_000L;
      for (int round = 0; round < 3 || System.nanoTime() < deadline; round++) {
        long t0 = System.nanoTime();
        List<Future<Float>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) parts.add(pool.submit(() -> fmaChains(iterations)));
        float sink = 0;
        for (Future<Float> f : parts) sink += f.get();
        double s = (System.nanoTime() - t0) / 1e9;
        double flops = 2.0 * 8 * F.length() * iterations * threads;
        best = Math.max(best, flops / s / 1e9);
        if (sink == 42) System.out.print("");
      }
      return best;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // Eight independent accumulators hide the FMA latency (4 cycles, 2 ports on current x86 cores).
  private static float fmaChains(long iterations) {
    FloatVector x = FloatVector.broadcast(F, 0.999999f);
    FloatVector y = FloatVector.broadcast(F, 1e-7f);
    FloatVector c0 = FloatVector.broadcast(F, 1f);
    FloatVector c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    for (long i = 0; i < iterations; i++) {
      c0 = c0.fma(x, y);
      c1 = c1.fma(x, y);
      c2 = c2.fma(x, y);
      c3 = c3.fma(x, y);
      c4 = c4.fma(x, y);
      c5 = c5.fma(x, y);
      c6 = c6.fma(x, y);
      c7 = c7.fma(x, y);
    }
    return c0.add(c1)
        .add(c2)
        .add(c3)
        .add(c4)
        .add(c5)
        .add(c6)
        .add(c7)
        .reduceLanes(VectorOperators.ADD);
  }

  public static void main(String[] args) {
    int threads = Runtime.getRuntime().availableProcessors();
    System.out.printf("vector: %d-bit, threads %d%n", F.vectorBitSize(), threads);
    System.out.printf("read bandwidth: %.1f GB/s%n", readBandwidthGBs(1L << 30, threads, 5));
    System.out.printf("peak fp32: %.1f GFLOP/s%n", peakGflops(threads, 3));
  }
}
