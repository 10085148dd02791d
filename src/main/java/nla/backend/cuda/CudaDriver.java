package nla.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import nla.backend.DeviceMemoryError;
import nla.io.UserError;

/**
 * The part of the CUDA driver API ({@code libcuda.so.1}) the backend uses, bound through FFM. Every
 * call checks its result; a failure is a {@link CudaException} naming the call and the driver's
 * error name, or a {@link UserError} where the cause is the machine (no device; out of memory, as
 * its own {@link DeviceMemoryError}).
 */
final class CudaDriver {
  static final int CUDA_SUCCESS = 0;
  static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
  static final int CUDA_ERROR_STUB_LIBRARY = 34;
  static final int CUDA_ERROR_NO_DEVICE = 100;
  static final int CUDA_ERROR_INVALID_DEVICE = 101;
  static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
  static final int CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36; // kHz
  static final int CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37; // bits
  static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
  static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
  static final int CU_STREAM_DEFAULT = 0;
  static final int CU_EVENT_DEFAULT = 0;
  static final int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;

  private static volatile CudaDriver instance;

  private final MethodHandle cuInit;
  private final MethodHandle cuDriverGetVersion;
  private final MethodHandle cuDeviceGetCount;
  private final MethodHandle cuDeviceGet;
  private final MethodHandle cuDeviceGetName;
  private final MethodHandle cuDeviceTotalMem;
  private final MethodHandle cuDeviceGetAttribute;
  private final MethodHandle cuDevicePrimaryCtxRetain;
  private final MethodHandle cuDevicePrimaryCtxRelease;
  private final MethodHandle cuCtxSetCurrent;
  private final MethodHandle cuCtxSynchronize;
  private final MethodHandle cuMemGetInfo;
  private final MethodHandle cuMemAlloc;
  private final MethodHandle cuMemFree;
  private final MethodHandle cuMemcpyHtoD;
  private final MethodHandle cuMemcpyDtoH;
  private final MethodHandle cuMemcpyDtoD;
  private final MethodHandle cuModuleLoadData;
  private final MethodHandle cuModuleGetFunction;
  private final MethodHandle cuLaunchKernel;
  private final MethodHandle cuGetErrorName;
  private final MethodHandle cuStreamCreate;
  private final MethodHandle cuStreamDestroy;
  private final MethodHandle cuStreamBeginCapture;
  private final MethodHandle cuStreamEndCapture;
  private final MethodHandle cuGraphInstantiate;
  private final MethodHandle cuGraphLaunch;
  private final MethodHandle cuGraphExecDestroy;
  private final MethodHandle cuGraphDestroy;
  private final MethodHandle cuEventCreate;
  private final MethodHandle cuEventRecord;
  private final MethodHandle cuEventElapsedTime;
  private final MethodHandle cuEventDestroy;
  private final MethodHandle cuProfilerStart;
  private final MethodHandle cuProfilerStop;

  private CudaDriver(SymbolLookup lib) {
    cuInit = bind(lib, "cuInit", JAVA_INT);
    cuDriverGetVersion = bind(lib, "cuDriverGetVersion", ADDRESS);
    cuDeviceGetCount = bind(lib, "cuDeviceGetCount", ADDRESS);
    cuDeviceGet = bind(lib, "cuDeviceGet", ADDRESS, JAVA_INT);
    cuDeviceGetName = bind(lib, "cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
    cuDeviceTotalMem = bind(lib, "cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
    cuDeviceGetAttribute = bind(lib, "cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
    cuDevicePrimaryCtxRetain = bind(lib, "cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
    cuDevicePrimaryCtxRelease = bind(lib, "cuDevicePrimaryCtxRelease_v2", JAVA_INT);
    cuCtxSetCurrent = bind(lib, "cuCtxSetCurrent", ADDRESS);
    cuCtxSynchronize = bind(lib, "cuCtxSynchronize");
    cuMemGetInfo = bind(lib, "cuMemGetInfo_v2", ADDRESS, ADDRESS);
    cuMemAlloc = bind(lib, "cuMemAlloc_v2", ADDRESS, JAVA_LONG);
    cuMemFree = bind(lib, "cuMemFree_v2", JAVA_LONG);
    cuMemcpyHtoD = bind(lib, "cuMemcpyHtoD_v2", JAVA_LONG, ADDRESS, JAVA_LONG);
    cuMemcpyDtoH = bind(lib, "cuMemcpyDtoH_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
    cuMemcpyDtoD = bind(lib, "cuMemcpyDtoD_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG);
    cuModuleLoadData = bind(lib, "cuModuleLoadData", ADDRESS, ADDRESS);
    cuModuleGetFunction = bind(lib, "cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
    cuLaunchKernel =
        bind(
            lib,
            "cuLaunchKernel",
            ADDRESS,
            JAVA_INT,
            JAVA_INT,
            JAVA_INT,
            JAVA_INT,
            JAVA_INT,
            JAVA_INT,
            JAVA_INT,
            ADDRESS,
            ADDRESS,
            ADDRESS);
    cuGetErrorName = bind(lib, "cuGetErrorName", JAVA_INT, ADDRESS);
    cuStreamCreate = bind(lib, "cuStreamCreate", ADDRESS, JAVA_INT);
    cuStreamDestroy = bind(lib, "cuStreamDestroy_v2", ADDRESS);
    cuStreamBeginCapture = bind(lib, "cuStreamBeginCapture_v2", ADDRESS, JAVA_INT);
    cuStreamEndCapture = bind(lib, "cuStreamEndCapture", ADDRESS, ADDRESS);
    cuGraphInstantiate = bind(lib, "cuGraphInstantiateWithFlags", ADDRESS, ADDRESS, JAVA_LONG);
    cuGraphLaunch = bind(lib, "cuGraphLaunch", ADDRESS, ADDRESS);
    cuGraphExecDestroy = bind(lib, "cuGraphExecDestroy", ADDRESS);
    cuGraphDestroy = bind(lib, "cuGraphDestroy", ADDRESS);
    cuEventCreate = bind(lib, "cuEventCreate", ADDRESS, JAVA_INT);
    cuEventRecord = bind(lib, "cuEventRecord", ADDRESS, ADDRESS);
    cuEventElapsedTime = bind(lib, "cuEventElapsedTime", ADDRESS, ADDRESS, ADDRESS);
    cuEventDestroy = bind(lib, "cuEventDestroy_v2", ADDRESS);
    cuProfilerStart = bind(lib, "cuProfilerStart");
    cuProfilerStop = bind(lib, "cuProfilerStop");
  }

  /**
   * The driver, loaded and initialised once per process; a one-line {@link UserError} when this
   * machine has no usable driver or GPU.
   */
  static CudaDriver get() {
    CudaDriver d = instance;
    if (d != null) return d;
    synchronized (CudaDriver.class) {
      if (instance == null) {
        CudaDriver loaded = new CudaDriver(NativeLibraries.driver());
        int rc = loaded.call("cuInit", loaded.cuInit, 0);
        switch (rc) {
          case CUDA_SUCCESS -> {}
          case CUDA_ERROR_NO_DEVICE ->
              throw new UserError("--device cuda: the NVIDIA driver found no GPU on this machine");
          case CUDA_ERROR_STUB_LIBRARY ->
              throw new UserError(
                  "--device cuda: libcuda.so.1 on the loader path is the CUDA toolkit's stub, not"
                      + " an NVIDIA driver");
          default ->
              throw new UserError(
                  "--device cuda: the NVIDIA driver failed to initialise ("
                      + loaded.errorName(rc)
                      + ")");
        }
        instance = loaded;
      }
      return instance;
    }
  }

  /** The driver's CUDA version as major * 1000 + minor * 10 (13000 for CUDA 13.0). */
  int driverVersion() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_INT);
      check("cuDriverGetVersion", call("cuDriverGetVersion", cuDriverGetVersion, v));
      return v.get(JAVA_INT, 0);
    }
  }

  int deviceCount() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_INT);
      check("cuDeviceGetCount", call("cuDeviceGetCount", cuDeviceGetCount, v));
      return v.get(JAVA_INT, 0);
    }
  }

  int device(int ordinal) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_INT);
      check("cuDeviceGet", call("cuDeviceGet", cuDeviceGet, v, ordinal));
      return v.get(JAVA_INT, 0);
    }
  }

  String deviceName(int device) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment name = a.allocate(256);
      check("cuDeviceGetName", call("cuDeviceGetName", cuDeviceGetName, name, 256, device));
      return name.getString(0);
    }
  }

  long deviceTotalMemory(int device) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_LONG);
      check("cuDeviceTotalMem", call("cuDeviceTotalMem", cuDeviceTotalMem, v, device));
      return v.get(JAVA_LONG, 0);
    }
  }

  int attribute(int device, int attribute) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_INT);
      check(
          "cuDeviceGetAttribute",
          call("cuDeviceGetAttribute", cuDeviceGetAttribute, v, attribute, device));
      return v.get(JAVA_INT, 0);
    }
  }

  /** The device's primary context (the one the CUDA runtime and cuBLAS use too). */
  MemorySegment retainPrimaryContext(int device) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(ADDRESS);
      check(
          "cuDevicePrimaryCtxRetain",
          call("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain, v, device));
      return v.get(ADDRESS, 0);
    }
  }

  void releasePrimaryContext(int device) {
    check(
        "cuDevicePrimaryCtxRelease",
        call("cuDevicePrimaryCtxRelease", cuDevicePrimaryCtxRelease, device));
  }

  void setCurrent(MemorySegment context) {
    check("cuCtxSetCurrent", call("cuCtxSetCurrent", cuCtxSetCurrent, context));
  }

  void synchronize() {
    check("cuCtxSynchronize", call("cuCtxSynchronize", cuCtxSynchronize));
  }

  /** {free, total} bytes of the current context's device. */
  long[] memoryInfo() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment free = a.allocate(JAVA_LONG);
      MemorySegment total = a.allocate(JAVA_LONG);
      check("cuMemGetInfo", call("cuMemGetInfo", cuMemGetInfo, free, total));
      return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
    }
  }

  /**
   * Device memory; a one-line {@link DeviceMemoryError} with the numbers when the GPU has too
   * little.
   */
  long malloc(long bytes, String what) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_LONG);
      int rc = call("cuMemAlloc", cuMemAlloc, v, Math.max(1, bytes));
      if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
        long[] info = memoryInfo();
        throw new DeviceMemoryError(
            "GPU out of memory: "
                + what
                + " needs "
                + gib(bytes)
                + ", "
                + gib(info[0])
                + " of "
                + gib(info[1])
                + " free");
      }
      check("cuMemAlloc", rc);
      return v.get(JAVA_LONG, 0);
    }
  }

  void free(long pointer) {
    check("cuMemFree", call("cuMemFree", cuMemFree, pointer));
  }

  void copyToDevice(long dst, MemorySegment src, long bytes) {
    if (bytes == 0) return;
    check("cuMemcpyHtoD", call("cuMemcpyHtoD", cuMemcpyHtoD, dst, src, bytes));
  }

  void copyToHost(MemorySegment dst, long src, long bytes) {
    if (bytes == 0) return;
    check("cuMemcpyDtoH", call("cuMemcpyDtoH", cuMemcpyDtoH, dst, src, bytes));
  }

  void copyOnDevice(long dst, long src, long bytes) {
    if (bytes == 0) return;
    check("cuMemcpyDtoD", call("cuMemcpyDtoD", cuMemcpyDtoD, dst, src, bytes));
  }

  MemorySegment loadModule(MemorySegment image) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(ADDRESS);
      check("cuModuleLoadData", call("cuModuleLoadData", cuModuleLoadData, v, image));
      return v.get(ADDRESS, 0);
    }
  }

  MemorySegment function(MemorySegment module, String name) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(ADDRESS);
      int rc = call("cuModuleGetFunction", cuModuleGetFunction, v, module, a.allocateFrom(name));
      if (rc != CUDA_SUCCESS) {
        throw new CudaException("kernel " + name + " is not in the CUDA module: " + errorName(rc));
      }
      return v.get(ADDRESS, 0);
    }
  }

  void launch(
      MemorySegment function,
      int gridX,
      int gridY,
      int blockX,
      int sharedBytes,
      MemorySegment stream,
      MemorySegment params,
      String name) {
    int rc;
    try {
      // invokeExact: a decode step launches hundreds of kernels, and boxing every argument of
      // every launch would cost more than the launch.
      rc =
          (int)
              cuLaunchKernel.invokeExact(
                  function,
                  gridX,
                  gridY,
                  1,
                  blockX,
                  1,
                  1,
                  sharedBytes,
                  stream,
                  params,
                  MemorySegment.NULL);
    } catch (Throwable t) {
      throw new CudaException("cuLaunchKernel: " + t);
    }
    if (rc != CUDA_SUCCESS) throw new CudaException("launch of " + name + ": " + errorName(rc));
  }

  /**
   * A stream that orders itself with the legacy default stream (the synchronous copies run there),
   * so work queued on it and the copies around it run in program order.
   */
  MemorySegment createStream() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(ADDRESS);
      check("cuStreamCreate", call("cuStreamCreate", cuStreamCreate, v, CU_STREAM_DEFAULT));
      return v.get(ADDRESS, 0);
    }
  }

  void destroyStream(MemorySegment stream) {
    check("cuStreamDestroy", call("cuStreamDestroy", cuStreamDestroy, stream));
  }

  /**
   * From now until {@link #endCapture}, work queued on {@code stream} by this thread is recorded
   * into a graph instead of run; a call that cannot be recorded (a synchronous copy, an allocation)
   * fails and spoils the capture.
   */
  void beginCapture(MemorySegment stream) {
    check(
        "cuStreamBeginCapture",
        call(
            "cuStreamBeginCapture",
            cuStreamBeginCapture,
            stream,
            CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
  }

  /**
   * The recorded work as an executable graph, or null when the capture was spoiled (its work did
   * not run either way).
   */
  MemorySegment endCapture(MemorySegment stream) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment graph = a.allocate(ADDRESS);
      int rc = call("cuStreamEndCapture", cuStreamEndCapture, stream, graph);
      MemorySegment g = graph.get(ADDRESS, 0);
      if (rc != CUDA_SUCCESS || g.equals(MemorySegment.NULL)) return null;
      MemorySegment exec = a.allocate(ADDRESS);
      rc = call("cuGraphInstantiate", cuGraphInstantiate, exec, g, 0L);
      check("cuGraphDestroy", call("cuGraphDestroy", cuGraphDestroy, g));
      return rc == CUDA_SUCCESS ? exec.get(ADDRESS, 0) : null;
    }
  }

  void launchGraph(MemorySegment exec, MemorySegment stream) {
    callEveryStep("cuGraphLaunch", cuGraphLaunch, exec, stream);
  }

  void destroyGraph(MemorySegment exec) {
    check("cuGraphExecDestroy", call("cuGraphExecDestroy", cuGraphExecDestroy, exec));
  }

  /** An event that records when the GPU reaches it in a stream, with timing. */
  MemorySegment createEvent() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(ADDRESS);
      check("cuEventCreate", call("cuEventCreate", cuEventCreate, v, CU_EVENT_DEFAULT));
      return v.get(ADDRESS, 0);
    }
  }

  void recordEvent(MemorySegment event, MemorySegment stream) {
    callEveryStep("cuEventRecord", cuEventRecord, event, stream);
  }

  /** Milliseconds between two recorded events the GPU has passed, by its own clock. */
  float elapsedMillis(MemorySegment start, MemorySegment end) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment ms = a.allocate(JAVA_FLOAT);
      check("cuEventElapsedTime", call("cuEventElapsedTime", cuEventElapsedTime, ms, start, end));
      return ms.get(JAVA_FLOAT, 0);
    }
  }

  void destroyEvent(MemorySegment event) {
    check("cuEventDestroy", call("cuEventDestroy", cuEventDestroy, event));
  }

  /**
   * Opens and closes the range a profiler started with {@code --profile-from-start off} records
   * (Nsight Compute, Nsight Systems); without a profiler attached both do nothing.
   */
  void profilerStart() {
    check("cuProfilerStart", call("cuProfilerStart", cuProfilerStart));
  }

  void profilerStop() {
    check("cuProfilerStop", call("cuProfilerStop", cuProfilerStop));
  }

  String errorName(int rc) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(ADDRESS);
      int r = call("cuGetErrorName", cuGetErrorName, rc, v);
      MemorySegment s = v.get(ADDRESS, 0);
      if (r != CUDA_SUCCESS || s.equals(MemorySegment.NULL)) return "CUDA error " + rc;
      return s.reinterpret(256).getString(0) + " (" + rc + ")";
    }
  }

  void check(String call, int rc) {
    if (rc == CUDA_SUCCESS) return;
    if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
      throw new DeviceMemoryError("GPU out of memory in " + call);
    }
    throw new CudaException(call + " failed: " + errorName(rc));
  }

  /**
   * A checked call of a function of two pointers that every decode step makes: invokeExact, which
   * neither boxes the arguments nor builds an array as {@link #call} does.
   */
  private void callEveryStep(
      String name, MethodHandle h, MemorySegment first, MemorySegment second) {
    int rc;
    try {
      rc = (int) h.invokeExact(first, second);
    } catch (Throwable t) {
      throw new CudaException(name + ": " + t);
    }
    check(name, rc);
  }

  private static int call(String name, MethodHandle h, Object... args) {
    try {
      return (int) h.invokeWithArguments(args);
    } catch (Throwable t) {
      throw new CudaException(name + ": " + t);
    }
  }

  static String gib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  private static MethodHandle bind(
      SymbolLookup lib, String name, java.lang.foreign.MemoryLayout... args) {
    MemorySegment symbol =
        lib.find(name)
            .orElseThrow(
                () ->
                    new UserError(
                        "--device cuda: the NVIDIA driver lacks "
                            + name
                            + " (too old a driver; CUDA 12 or newer is needed)"));
    return Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, args));
  }
}
