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
 * device at first load (and caches), else the source compiled by NVRTC.
 */
final class CudaKernels {
  static final String RESOURCE_DIR = "/nla/cuda/";
  static final String[] CUBIN_TARGETS = {"sm_80", "sm_90"};

  /** Every kernel the backend launches; each must be in the module (checked at load). */
  static final String[] NAMES = {
    "to_bf16",
    "gemv_bf16",
    "gemv_gated_bf16",
    "embed_rows",
    "gather_rows",
    "rms_norm",
    "add_rms_norm",
    "rope",
    "gated_activation",
    "gated_activation_stacked",
    "split_columns",
    "qkv_heads",
    "add_in_place",
    "add_bias",
    "softcap",
    "kv_store",
    "attention",
    "attention_grouped2",
    "attention_grouped4",
    "attention_grouped7",
    "attention_grouped8",
    "attention_split",
    "attention_merge",
    "add_logit_bias",
    "argmax_rows",
    "sample_rows"
  };

  /**
   * {@code -Dnla.cuda.kernels=nvrtc} compiles the source at run time even where a cubin is packed.
   */
  static final String COMPILE_PROPERTY = "nla.cuda.kernels";

  private static final int MAX_ARGS = 24;

  private final CudaDriver driver;
  private final Map<String, MemorySegment> functions = new HashMap<>();
  private final MemorySegment argValues = Arena.global().allocate(8L * MAX_ARGS, 8);
  private final MemorySegment argPointers = Arena.global().allocate(ADDRESS, MAX_ARGS);
  private final String image;
  private final MemorySegment stream;

  /**
   * Loads the cubin packed for this compute capability; else the packed PTX (the driver compiles
   * it); else, or when the driver refuses the PTX, the packed source compiled by {@link Nvrtc}.
   */
  CudaKernels(CudaDriver driver, int ccMajor, int ccMinor, MemorySegment stream) {
    this.driver = driver;
    this.stream = stream;
    boolean forceNvrtc = "nvrtc".equals(System.getProperty(COMPILE_PROPERTY));
    String cubinName = "nla_kernels.sm_" + ccMajor + ccMinor + ".cubin";
    byte[] cubin = forceNvrtc ? null : resource(cubinName);
    MemorySegment module = null;
    String chosen = null;
    if (cubin != null) {
      module = load(cubin);
      chosen = cubinName;
    }
    byte[] ptx = forceNvrtc ? null : resource("nla_kernels.ptx");
    if (module == null && ptx != null) {
      try {
        module = load(java.util.Arrays.copyOf(ptx, ptx.length + 1)); // NUL-terminated text
        chosen = "nla_kernels.ptx";
      } catch (CudaException e) {
        // a driver older than the PTX's ISA: compile the source for this GPU instead
      }
    }
    if (module == null) {
      byte[] source = resource("nla_kernels.cu");
      if (source == null) {
        throw new UserError(
            "--device cuda: this build of nla has no CUDA kernels; rebuild it (scripts/build-cuda.sh)");
      }
      module =
          load(
              Nvrtc.cubin(
                  new String(source, java.nio.charset.StandardCharsets.UTF_8), ccMajor, ccMinor));
      chosen = "nla_kernels.cu compiled by NVRTC for sm_" + ccMajor + ccMinor;
    }
    this.image = chosen;
    for (String name : NAMES) functions.put(name, driver.function(module, name));
    for (int i = 0; i < MAX_ARGS; i++)
      argPointers.setAtIndex(ADDRESS, i, argValues.asSlice(8L * i));
  }

  private MemorySegment load(byte[] image) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment data = a.allocate(image.length, 16);
      MemorySegment.copy(image, 0, data, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, image.length);
      return driver.loadModule(data);
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
   * Launches {@code name} on the backend's stream, on a {@code gridX × gridY} grid of {@code block}
   * threads. Arguments are device pointers ({@link Long}), {@link Integer}s and {@link Float}s, in
   * the kernel's order.
   */
  synchronized void launch(String name, int gridX, int gridY, int block, Object... args) {
    MemorySegment fn = functions.get(name);
    if (fn == null) throw new IllegalArgumentException("unknown kernel " + name);
    if (args.length > MAX_ARGS) throw new IllegalArgumentException(name + ": too many arguments");
    // One buffer for every launch: the driver copies the arguments when the launch is queued, and
    // the backend's lock keeps launches one at a time.
    for (int i = 0; i < args.length; i++) {
      long off = 8L * i;
      switch (args[i]) {
        case Long l -> argValues.set(JAVA_LONG, off, l);
        case Integer n -> argValues.set(JAVA_INT, off, n);
        case Float f -> argValues.set(JAVA_FLOAT, off, f);
        default -> throw new IllegalArgumentException("kernel argument " + args[i]);
      }
    }
    driver.launch(fn, gridX, gridY, block, 0, stream, argPointers, name);
  }
}
