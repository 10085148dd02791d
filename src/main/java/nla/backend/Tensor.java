package nla.backend;

/**
 * A [rows, cols] fp32 activation matrix owned by a backend (host memory on the CPU, device memory
 * later). Rows are tokens of a batch, laid out sequence after sequence.
 */
public interface Tensor {
  int rows();

  int cols();
}
