package nla.backend.cuda;

import nla.backend.Tensor;

/**
 * A [rows, cols] fp32 activation matrix in device memory, row-major at {@code pointer}; {@code
 * bf16}, when not 0, holds the same values rounded to bf16, written by the operation that made the
 * tensor because a product's operand comes next (the products then skip their conversion). Such a
 * tensor is never changed in place.
 */
record CudaTensor(long pointer, int rows, int cols, long bf16) implements Tensor {
  CudaTensor(long pointer, int rows, int cols) {
    this(pointer, rows, cols, 0);
  }

  long bytes() {
    return 4L * rows * cols;
  }

  /** The address of row {@code r}. */
  long row(int r) {
    return pointer + 4L * r * cols;
  }

  /** This tensor, about to be changed in place: it must have no bf16 copy to go stale. */
  CudaTensor mutable() {
    if (bf16 != 0) throw new IllegalStateException("a tensor with a bf16 copy is changed in place");
    return this;
  }
}
