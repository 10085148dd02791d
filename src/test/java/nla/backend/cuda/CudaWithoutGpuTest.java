package nla.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import nla.io.UserError;
import org.junit.jupiter.api.Test;

/**
 * What the CUDA backend can show without a GPU: the kernels packed in the build (every kernel the
 * backend launches, for every target) and the one-line errors for what a machine may lack. The
 * behaviour on a GPU is the GPU suite's ({@code ./test --gpu}).
 */
class CudaWithoutGpuTest {

  @Test
  void theBuildPacksEveryKernelForEveryTarget() throws IOException {
    String ptx = new String(resource("nla_kernels.ptx"), StandardCharsets.US_ASCII);
    assertTrue(ptx.contains(".target sm_90"), "PTX for compute_90");
    for (String name : CudaKernels.NAMES) {
      assertTrue(ptx.contains(".entry " + name + "("), "PTX lacks kernel " + name);
    }
    // And the other way: a kernel the backend launches by a name missing from NAMES is never
    // looked up, and its first launch fails on the GPU only.
    java.util.regex.Matcher entry =
        java.util.regex.Pattern.compile("\\.entry (\\w+)\\(").matcher(ptx);
    java.util.List<String> names = java.util.List.of(CudaKernels.NAMES);
    int entries = 0;
    while (entry.find()) {
      entries++;
      assertTrue(names.contains(entry.group(1)), "CudaKernels.NAMES lacks " + entry.group(1));
    }
    assertEquals(names.size(), entries, "kernels in the PTX");
    for (String target : CudaKernels.CUBIN_TARGETS) {
      byte[] cubin = resource("nla_kernels." + target + ".cubin");
      assertEquals(0x7f, cubin[0]);
      assertEquals('E', cubin[1]);
      assertEquals('L', cubin[2]);
      assertEquals('F', cubin[3]);
      String text = new String(cubin, StandardCharsets.ISO_8859_1);
      for (String name : CudaKernels.NAMES) {
        assertTrue(text.contains(".text." + name), target + " cubin lacks kernel " + name);
      }
    }
    assertTrue(resource("nla_kernels.cu").length > 0, "the kernel source is packed too");
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = CudaKernels.class.getResourceAsStream(CudaKernels.RESOURCE_DIR + name)) {
      assertTrue(in != null, name + " is not in the build (was nvcc found?)");
      return in.readAllBytes();
    }
  }

  @Test
  void aMissingToolkitLibraryIsOneLineNamingWhereItLooked() {
    UserError e =
        assertThrows(
            UserError.class, () -> NativeLibraries.toolkit("cuBLAS", "libnla-absent-cublas.so.13"));
    assertTrue(e.getMessage().startsWith("--device cuda: cuBLAS not found"), e.getMessage());
    assertTrue(e.getMessage().contains("/usr/local/cuda/lib64"), e.getMessage());
    assertTrue(e.getMessage().contains("CUDA_HOME"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"));
  }

  @Test
  void tooOldADriverIsOneLineWithBothVersions() {
    UserError e = assertThrows(UserError.class, () -> GpuInfo.requireDriver(12040));
    assertEquals(
        "--device cuda: the NVIDIA driver supports CUDA 12.4; nla's GPU kernels need CUDA 13.0 or"
            + " newer (update the driver)",
        e.getMessage());
    GpuInfo.requireDriver(13000);
    GpuInfo.requireDriver(13020);
  }

  @Test
  void theProfiledStepsAreFirstColonCountAndABadValueIsOneLine() {
    assertEquals(null, CudaBackend.profiledSteps(null));
    assertEquals(
        java.util.List.of(50L, 1L),
        java.util.Arrays.stream(CudaBackend.profiledSteps("50")).boxed().toList());
    assertEquals(
        java.util.List.of(7L, 3L),
        java.util.Arrays.stream(CudaBackend.profiledSteps("7:3")).boxed().toList());
    for (String bad : new String[] {"x", "5:0", "-1:2", "1:2:3"}) {
      UserError e = assertThrows(UserError.class, () -> CudaBackend.profiledSteps(bad));
      assertEquals(
          "-Dnla.cuda.profileSteps=" + bad + ": expected FIRST:COUNT, e.g. 50:1", e.getMessage());
    }
  }
}
