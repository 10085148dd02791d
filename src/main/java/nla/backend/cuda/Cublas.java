package nla.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import nla.io.UserError;

/**
 * cuBLAS through FFM: the weight products, {@code Y[n, out] = X[n, in] · W[out, in]ᵀ} with bf16
 * operands, fp32 accumulation and an fp32 result (transformers' bf16 linear layers accumulate in
 * fp32 too).
 */
final class Cublas implements AutoCloseable {
  private static final int CUBLAS_OP_N = 0;
  private static final int CUBLAS_OP_T = 1;
  private static final int CUDA_R_32F = 0;
  private static final int CUDA_R_16BF = 14;
  private static final int CUBLAS_COMPUTE_32F = 68;
  private static final int CUBLAS_GEMM_DEFAULT = -1;

  private final MethodHandle gemmEx;
  private final MethodHandle destroy;
  private final MemorySegment handle;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment one;
  private final MemorySegment zero;

  /**
   * A handle whose products run on {@code stream} with {@code workspace} (bytes at a device
   * pointer) as their scratch memory: a fixed workspace lets products be captured into a graph,
   * where cuBLAS may not allocate.
   */
  Cublas(MemorySegment stream, long workspace, long workspaceBytes) {
    SymbolLookup lib = library();
    MethodHandle create = NativeLibraries.function(lib, "cuBLAS", "cublasCreate_v2", ADDRESS);
    MethodHandle setStream =
        NativeLibraries.function(lib, "cuBLAS", "cublasSetStream_v2", ADDRESS, ADDRESS);
    MethodHandle setWorkspace =
        NativeLibraries.function(
            lib, "cuBLAS", "cublasSetWorkspace_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
    destroy = NativeLibraries.function(lib, "cuBLAS", "cublasDestroy_v2", ADDRESS);
    gemmEx =
        NativeLibraries.function(
            lib,
            "cuBLAS",
            "cublasGemmEx",
            ADDRESS, // handle
            JAVA_INT, // transa
            JAVA_INT, // transb
            JAVA_INT, // m
            JAVA_INT, // n
            JAVA_INT, // k
            ADDRESS, // alpha
            JAVA_LONG, // A
            JAVA_INT, // Atype
            JAVA_INT, // lda
            JAVA_LONG, // B
            JAVA_INT, // Btype
            JAVA_INT, // ldb
            ADDRESS, // beta
            JAVA_LONG, // C
            JAVA_INT, // Ctype
            JAVA_INT, // ldc
            JAVA_INT, // computeType
            JAVA_INT); // algo
    MemorySegment h = arena.allocate(ADDRESS);
    int rc;
    try {
      rc = (int) create.invokeExact(h);
    } catch (Throwable t) {
      throw new CudaException("cublasCreate: " + t);
    }
    if (rc != 0) throw new CudaException("cublasCreate failed with status " + rc);
    handle = h.get(ADDRESS, 0);
    try {
      rc = (int) setStream.invokeExact(handle, stream);
      if (rc == 0) rc = (int) setWorkspace.invokeExact(handle, workspace, workspaceBytes);
    } catch (Throwable t) {
      throw new CudaException("cublasSetStream/cublasSetWorkspace: " + t);
    }
    if (rc != 0) throw new CudaException("cublasSetStream/cublasSetWorkspace: status " + rc);
    one = arena.allocateFrom(JAVA_FLOAT, 1f);
    zero = arena.allocateFrom(JAVA_FLOAT, 0f);
  }

  private static SymbolLookup library() {
    return NativeLibraries.toolkit("cuBLAS", "libcublas.so.13", "libcublas.so.12");
  }

  /** Whether cuBLAS can be loaded here; null if so, else why not (one line). */
  static String unavailableReason() {
    try {
      library();
      return null;
    } catch (UserError e) {
      return e.getMessage();
    }
  }

  /**
   * {@code y[n, out] = x[n, in] · w[out, in]ᵀ}, all row-major: in cuBLAS's column-major terms
   * {@code yᵀ = (wᵀ)ᵀ · xᵀ}, so w is the transposed first operand.
   */
  void matmulBf16(long x, long w, long y, int n, int in, int out) {
    int rc;
    try {
      rc =
          (int)
              gemmEx.invokeExact(
                  handle,
                  CUBLAS_OP_T,
                  CUBLAS_OP_N,
                  out,
                  n,
                  in,
                  one,
                  w,
                  CUDA_R_16BF,
                  in,
                  x,
                  CUDA_R_16BF,
                  in,
                  zero,
                  y,
                  CUDA_R_32F,
                  out,
                  CUBLAS_COMPUTE_32F,
                  CUBLAS_GEMM_DEFAULT);
    } catch (Throwable t) {
      throw new CudaException("cublasGemmEx: " + t);
    }
    if (rc != 0) {
      throw new CudaException(
          "cublasGemmEx failed with status "
              + rc
              + " (n="
              + n
              + ", in="
              + in
              + ", out="
              + out
              + ")");
    }
  }

  @Override
  public void close() {
    try {
      int rc = (int) destroy.invokeExact(handle);
      if (rc != 0) throw new CudaException("cublasDestroy failed with status " + rc);
    } catch (CudaException e) {
      throw e;
    } catch (Throwable t) {
      throw new CudaException("cublasDestroy: " + t);
    }
    arena.close();
  }
}
