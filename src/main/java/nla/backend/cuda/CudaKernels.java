package nla.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import nla.io.UserError;

/**
 * The kernels of {@code src/main/cuda/nla_kernels.cu}, loaded from the jar: the cubin built for the
 * device's compute capability when there is one, else the PTX, which the driver compiles for the
 * device at first load (and caches).
 */
final class CudaKernels {
  static final String RESOURCE_DIR = "/nla/cuda/";
  static final String[] CUBIN_TARGETS = {"sm_80", "sm_90"};

  /** Every kernel the backend launches; each must be in the module (checked at load). */
  static final String[] NAMES = {
    "to_bf16",
    "embed_rows",
    "gather_rows",
    "rms_norm",
    "rope",
    "gated_activation",
    "add_in_place",
    "add_bias",
    "softcap",
    "kv_store",
    "attention"
  };

  private final CudaDriver driver;
  private final Map<String, MemorySegment> functions = new HashMap<>();
  private final String image;

  CudaKernels(CudaDriver driver, int ccMajor, int ccMinor) {
    this.driver = driver;
    String cubin = "nla_kernels.sm_" + ccMajor + ccMinor + ".cubin";
    byte[] bytes = resource(cubin);
    String chosen = cubin;
    if (bytes == null) {
      bytes = resource("nla_kernels.ptx");
      chosen = "nla_kernels.ptx";
      if (bytes != null) bytes = java.util.Arrays.copyOf(bytes, bytes.length + 1); // NUL-terminated
    }
    if (bytes == null) {
      throw new UserError(
          "--device cuda: this build of nla has no CUDA kernels (nvcc was not found when it was"
              + " built); rebuild on a machine with the CUDA toolkit's nvcc");
    }
    this.image = chosen;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment data = a.allocate(bytes.length, 16);
      MemorySegment.copy(bytes, 0, data, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
      MemorySegment module = driver.loadModule(data);
      for (String name : NAMES) functions.put(name, driver.function(module, name));
    }
  }

  /** Which image was loaded (a cubin for this device, or the PTX). */
  String image() {
    return image;
  }

  static byte[] resource(String name) {
    try (InputStream in = CudaKernels.class.getResourceAsStream(RESOURCE_DIR + name)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Launches {@code name} on a {@code gridX × gridY} grid of {@code block} threads. Arguments are
   * device pointers ({@link Long}), {@link Integer}s and {@link Float}s, in the kernel's order.
   */
  void launch(String name, int gridX, int gridY, int block, Object... args) {
    MemorySegment fn = functions.get(name);
    if (fn == null) throw new IllegalArgumentException("unknown kernel " + name);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment values = a.allocate(8L * args.length, 8);
      MemorySegment pointers = a.allocate(ADDRESS, args.length);
      for (int i = 0; i < args.length; i++) {
        long off = 8L * i;
        switch (args[i]) {
          case Long l -> values.set(JAVA_LONG, off, l);
          case Integer n -> values.set(JAVA_INT, off, n);
          case Float f -> values.set(JAVA_FLOAT, off, f);
          default -> throw new IllegalArgumentException("kernel argument " + args[i]);
        }
        pointers.setAtIndex(ADDRESS, i, values.asSlice(off));
      }
      driver.launch(fn, gridX, gridY, block, 0, pointers, name);
    }
  }
}
