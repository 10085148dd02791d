package nla.backend.cuda;

import nla.backend.Tensor;

/** A [rows, cols] fp32 activation matrix in device memory, row-major at {@code pointer}. */
record CudaTensor(long pointer, int rows, int cols) implements Tensor {
  long bytes() {
    return 4L * rows * cols;
  }

  /** The address of row {@code r}. */
  long row(int r) {
    return pointer + 4L * r * cols;
  }
}
