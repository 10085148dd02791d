package nla.backend.cuda;

/** A CUDA call that failed for a reason that is a bug or a broken machine, not the user's input. */
public final class CudaException extends RuntimeException {
  public CudaException(String message) {
    super(message);
  }
}
