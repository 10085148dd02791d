package nla.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The native AMX bf16 kernels ({@code src/main/c/nla_amx.c}, built into {@code
 * target/native/libnla_amx.so} when a C compiler is present), bound through the FFM API. They back
 * the opt-in bf16-activation mode: activations rounded to bf16, products accumulated in fp32 on the
 * CPU's matrix tiles. {@link #unavailableReason()} says why the mode cannot run on this machine.
 */
final class Amx {
  private static final Linker LINKER = Linker.nativeLinker();
  // Heap arrays are passed without a copy; the calls are short and never call back into Java.
  private static final Linker.Option CRITICAL = Linker.Option.critical(true);

  private static final String REASON;
  private static final MethodHandle PACK;
  private static final MethodHandle ROWS;

  static {
    String reason = null;
    MethodHandle pack = null, rows = null;
    Path lib = library();
    if (lib == null) {
      reason =
          "the native kernels are not built (target/native/libnla_amx.so; scripts/build-native.sh"
              + " needs gcc)";
    } else {
      try {
        SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        MethodHandle enable =
            LINKER.downcallHandle(
                lookup.findOrThrow("nla_amx_enable"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        pack =
            LINKER.downcallHandle(
                lookup.findOrThrow("nla_amx_pack"),
                FunctionDescriptor.ofVoid(
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT),
                CRITICAL);
        rows =
            LINKER.downcallHandle(
                lookup.findOrThrow("nla_amx_rows"),
                FunctionDescriptor.ofVoid(
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT),
                CRITICAL);
        int status = (int) enable.invokeExact();
        if (status != 0)
          reason = "this CPU or kernel does not grant AMX tiles (status " + status + ")";
      } catch (Throwable t) {
        reason = "cannot load " + lib + ": " + t.getMessage();
      }
    }
    REASON = reason;
    PACK = pack;
    ROWS = rows;
  }

  private Amx() {}

  /** Null when the AMX kernels can run here, else why not (one line). */
  static String unavailableReason() {
    return REASON;
  }

  /** Whether a [rows, k] bf16 weight fits the tiles (k in 32s, rows in 16s). */
  static boolean fits(int rows, int k) {
    return k % 32 == 0 && rows % 16 == 0;
  }

  /** Tiles of packed activations for {@code n} tokens of width {@code k} (512 shorts each). */
  static int tiles(int n, int k) {
    return (n + 15) / 16 * (k / 32);
  }

  /**
   * Tiles {@code [from, to)} of the [n, k] fp32 activations {@code x}, rounded to bf16 and packed
   * into {@code packed} (which holds {@link #tiles} × 512 shorts).
   */
  static void pack(float[] x, int n, int k, short[] packed, int from, int to) {
    try {
      PACK.invokeExact(MemorySegment.ofArray(x), n, k, MemorySegment.ofArray(packed), from, to);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * Rows {@code [r0, r1)} of {@code y = x·wᵀ} ((r1 - r0) in 16s) for the {@code n} packed tokens:
   * {@code y[t·yStride + yOff + (r - r0)]}.
   */
  static void rows(
      MemorySegment w,
      int r0,
      int r1,
      int k,
      short[] packed,
      int n,
      float[] y,
      int yOff,
      int yStride) {
    try {
      ROWS.invokeExact(
          w, r0, r1, k, MemorySegment.ofArray(packed), n, MemorySegment.ofArray(y), yOff, yStride);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * {@code -Dnla.native.lib=FILE}, else {@code native/libnla_amx.so} beside the jar or class folder
   * this class comes from ({@code target/nla.jar} and {@code target/classes} both give {@code
   * target/native}).
   */
  private static Path library() {
    String explicit = System.getProperty("nla.native.lib");
    if (explicit != null) return Files.isRegularFile(Path.of(explicit)) ? Path.of(explicit) : null;
    try {
      Path from = Path.of(Amx.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path candidate = from.getParent().resolve("native").resolve("libnla_amx.so");
      return Files.isRegularFile(candidate) ? candidate : null;
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
  }
}
