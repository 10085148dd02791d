package nla.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import nla.io.UserError;

/**
 * Compiles the kernel source at first use with NVRTC (the CUDA toolkit's run-time compiler), for a
 * GPU the packed cubins and PTX do not serve (a build made without nvcc, a newer architecture whose
 * driver cannot take our PTX). The cubin is cached under {@code ~/.cache/nla/cuda/}, keyed by the
 * source and the architecture, so the compile happens once per machine.
 */
final class Nvrtc {
  private Nvrtc() {}

  static byte[] cubin(String source, int ccMajor, int ccMinor) {
    String arch = "sm_" + ccMajor + ccMinor;
    Path cache = cacheDir().resolve(digest(source + arch) + "." + arch + ".cubin");
    try {
      if (Files.isRegularFile(cache)) return Files.readAllBytes(cache);
    } catch (IOException e) {
      // unreadable cache entry: compile again
    }
    byte[] cubin = compile(source, arch);
    try {
      Files.createDirectories(cache.getParent());
      Path tmp = Files.createTempFile(cache.getParent(), ".cubin", ".tmp");
      Files.write(tmp, cubin);
      Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      // a cache that cannot be written only costs a compile next time
    }
    return cubin;
  }

  private static byte[] compile(String source, String arch) {
    SymbolLookup lib =
        NativeLibraries.toolkit(
            "NVRTC (to compile the GPU kernels for this GPU)",
            "libnvrtc.so.13",
            "libnvrtc.so.12",
            "libnvrtc.so");
    MethodHandle create =
        NativeLibraries.function(
            lib,
            "NVRTC",
            "nvrtcCreateProgram",
            ADDRESS,
            ADDRESS,
            ADDRESS,
            JAVA_INT,
            ADDRESS,
            ADDRESS);
    MethodHandle compile =
        NativeLibraries.function(lib, "NVRTC", "nvrtcCompileProgram", ADDRESS, JAVA_INT, ADDRESS);
    MethodHandle logSize =
        NativeLibraries.function(lib, "NVRTC", "nvrtcGetProgramLogSize", ADDRESS, ADDRESS);
    MethodHandle log =
        NativeLibraries.function(lib, "NVRTC", "nvrtcGetProgramLog", ADDRESS, ADDRESS);
    MethodHandle cubinSize =
        NativeLibraries.function(lib, "NVRTC", "nvrtcGetCUBINSize", ADDRESS, ADDRESS);
    MethodHandle getCubin =
        NativeLibraries.function(lib, "NVRTC", "nvrtcGetCUBIN", ADDRESS, ADDRESS);
    MethodHandle destroy = NativeLibraries.function(lib, "NVRTC", "nvrtcDestroyProgram", ADDRESS);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment prog = a.allocate(ADDRESS);
      check(
          "nvrtcCreateProgram",
          (int)
              create.invokeExact(
                  prog,
                  a.allocateFrom(source),
                  a.allocateFrom("nla_kernels.cu"),
                  0,
                  MemorySegment.NULL,
                  MemorySegment.NULL));
      MemorySegment p = prog.get(ADDRESS, 0);
      String[] options = {
        "--gpu-architecture=" + arch,
        "-std=c++17",
        "-default-device",
        "--include-path=" + includeDir()
      };
      MemorySegment opts = a.allocate(ADDRESS, options.length);
      for (int i = 0; i < options.length; i++)
        opts.setAtIndex(ADDRESS, i, a.allocateFrom(options[i]));
      int rc = (int) compile.invokeExact(p, options.length, opts);
      if (rc != 0) {
        MemorySegment n = a.allocate(JAVA_LONG);
        int ignored = (int) logSize.invokeExact(p, n);
        MemorySegment text = a.allocate(Math.max(1, n.get(JAVA_LONG, 0)));
        ignored = (int) log.invokeExact(p, text);
        throw new CudaException(
            "NVRTC could not compile the GPU kernels for " + arch + ": " + text.getString(0));
      }
      MemorySegment n = a.allocate(JAVA_LONG);
      check("nvrtcGetCUBINSize", (int) cubinSize.invokeExact(p, n));
      MemorySegment bytes = a.allocate(n.get(JAVA_LONG, 0));
      check("nvrtcGetCUBIN", (int) getCubin.invokeExact(p, bytes));
      int ignored = (int) destroy.invokeExact(prog);
      return bytes.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    } catch (CudaException | UserError e) {
      throw e;
    } catch (Throwable t) {
      throw new CudaException("NVRTC: " + t);
    }
  }

  /** The toolkit's headers (cuda_bf16.h), beside the library folders NVRTC was found in. */
  private static String includeDir() {
    for (Path lib : NativeLibraries.toolkitFolders()) {
      for (Path inc :
          new Path[] {
            lib.resolveSibling("include"), lib.resolveSibling("targets/x86_64-linux/include")
          }) {
        if (Files.isRegularFile(inc.resolve("cuda_bf16.h"))) return inc.toString();
      }
    }
    throw new UserError(
        "--device cuda: compiling the GPU kernels needs the CUDA toolkit's headers (cuda_bf16.h),"
            + " not found beside "
            + NativeLibraries.toolkitFolders()
            + "; set CUDA_HOME");
  }

  private static void check(String call, int rc) {
    if (rc != 0) throw new CudaException(call + " failed with NVRTC status " + rc);
  }

  static Path cacheDir() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("nla").resolve("cuda");
  }

  private static String digest(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
