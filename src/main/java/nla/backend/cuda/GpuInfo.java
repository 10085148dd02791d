package nla.backend.cuda;

import java.util.Locale;
import nla.io.UserError;

/**
 * One GPU as the driver reports it, checked for what the backend needs: a driver new enough for the
 * packed kernels, the ordinal present, cuBLAS loadable. Each failure is one line naming what is
 * missing.
 */
public record GpuInfo(
    int ordinal,
    String name,
    int ccMajor,
    int ccMinor,
    int multiprocessors,
    long totalMemory,
    int driverVersion) {

  public static GpuInfo probe(int ordinal) {
    CudaDriver driver = CudaDriver.get();
    int version = driver.driverVersion();
    requireDriver(version);
    int count = driver.deviceCount();
    if (ordinal < 0 || ordinal >= count) {
      throw new UserError(
          "--device cuda:"
              + ordinal
              + ": this machine has "
              + count
              + (count == 1 ? " GPU (cuda:0)" : " GPUs (cuda:0 to cuda:" + (count - 1) + ")"));
    }
    String missing = Cublas.unavailableReason();
    if (missing != null) throw new UserError(missing);
    int device = driver.device(ordinal);
    return new GpuInfo(
        ordinal,
        driver.deviceName(device),
        driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
        driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
        driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
        driver.deviceTotalMemory(device),
        version);
  }

  /** A one-line error when a driver of CUDA {@code version} cannot load nla's kernels. */
  static void requireDriver(int version) {
    if (version < CudaBackend.MIN_DRIVER_VERSION) {
      throw new UserError(
          "--device cuda: the NVIDIA driver supports CUDA "
              + cudaVersion(version)
              + "; nla's GPU kernels need CUDA "
              + cudaVersion(CudaBackend.MIN_DRIVER_VERSION)
              + " or newer (update the driver)");
    }
  }

  /** How many GPUs the driver sees (0 when there is no usable driver). */
  public static int count() {
    try {
      return CudaDriver.get().deviceCount();
    } catch (UserError | CudaException e) {
      return 0;
    }
  }

  /** {@code cuda:0}. */
  public String label() {
    return "cuda:" + ordinal;
  }

  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s (%s, %.0f GiB, compute capability %d.%d, driver CUDA %s)",
        label(),
        name,
        totalMemory / (double) (1L << 30),
        ccMajor,
        ccMinor,
        cudaVersion(driverVersion));
  }

  static String cudaVersion(int v) {
    return (v / 1000) + "." + (v % 1000) / 10;
  }
}
