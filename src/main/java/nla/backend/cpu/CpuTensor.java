package nla.backend.cpu;

import nla.backend.Tensor;

/** A row-major fp32 matrix on the Java heap. */
record CpuTensor(float[] data, int rows, int cols) implements Tensor {
  CpuTensor(int rows, int cols) {
    this(new float[Math.multiplyExact(rows, cols)], rows, cols);
  }
}
