package nla.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import nla.io.UserError;

/**
 * Finds the CUDA libraries the way CUDA programs do: the driver ({@code libcuda.so.1}) through the
 * loader path, the toolkit's libraries (cuBLAS) in {@code $CUDA_HOME/lib64}, {@code
 * /usr/local/cuda*}{@code /lib64} and then the loader path, newest major version first.
 */
final class NativeLibraries {
  private NativeLibraries() {}

  /**
   * The driver library's name; the system property lets tests stand in a library that is absent
   * (the behaviour of a machine without a driver, on any machine).
   */
  static final String DRIVER_PROPERTY = "nla.cuda.driver";

  /** The loaded driver library; a one-line error naming what is missing otherwise. */
  static SymbolLookup driver() {
    String name = System.getProperty(DRIVER_PROPERTY, "libcuda.so.1");
    try {
      return SymbolLookup.libraryLookup(name, Arena.global());
    } catch (IllegalArgumentException e) {
      throw new UserError(
          "--device cuda: no NVIDIA driver on this machine ("
              + name
              + " is not on the loader path)");
    }
  }

  /** The toolkit libraries found so far, by what they are: each is looked for once. */
  private static final Map<String, SymbolLookup> FOUND = new ConcurrentHashMap<>();

  /**
   * The first of {@code names} found in the toolkit folders or the loader path (looked for once per
   * {@code what}); an error naming every place looked at otherwise.
   */
  static SymbolLookup toolkit(String what, String... names) {
    return FOUND.computeIfAbsent(what, w -> find(w, names));
  }

  private static SymbolLookup find(String what, String... names) {
    List<Path> folders = toolkitFolders();
    for (String name : names) {
      for (Path folder : folders) {
        Path p = folder.resolve(name);
        if (Files.isRegularFile(p)) {
          try {
            return SymbolLookup.libraryLookup(p, Arena.global());
          } catch (IllegalArgumentException e) {
            // present but not loadable here (another architecture, a missing dependency): go on
          }
        }
      }
      try {
        return SymbolLookup.libraryLookup(name, Arena.global());
      } catch (IllegalArgumentException e) {
        // not on the loader path
      }
    }
    throw new UserError(
        "--device cuda: "
            + what
            + " not found (looked for "
            + String.join(", ", names)
            + " in "
            + folders
            + " and the loader path); install the CUDA toolkit's "
            + what
            + " or set CUDA_HOME");
  }

  /**
   * A downcall to {@code name}, an int-returning C function (every CUDA library's status code);
   * {@code what} names the library in the one-line error when it lacks the function.
   */
  static MethodHandle function(SymbolLookup lib, String what, String name, MemoryLayout... args) {
    MemorySegment symbol =
        lib.find(name)
            .orElseThrow(
                () -> new UserError("--device cuda: " + what + " lacks " + name + " (too old?)"));
    return Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, args));
  }

  static List<Path> toolkitFolders() {
    List<Path> out = new ArrayList<>();
    String home = System.getenv("CUDA_HOME");
    if (home == null) home = System.getenv("CUDA_PATH");
    if (home != null && !home.isBlank()) {
      out.add(Path.of(home, "lib64"));
      out.add(Path.of(home, "lib"));
    }
    out.add(Path.of("/usr/local/cuda/lib64"));
    try (var dirs = Files.list(Path.of("/usr/local"))) {
      dirs.filter(d -> d.getFileName().toString().startsWith("cuda-"))
          .sorted((a, b) -> b.getFileName().toString().compareTo(a.getFileName().toString()))
          .forEach(d -> out.add(d.resolve("lib64")));
    } catch (java.io.IOException e) {
      // no /usr/local: only CUDA_HOME and the loader path remain
    }
    return out;
  }
}
