package nla.backend.cpu;

import java.lang.foreign.MemorySegment;
import nla.backend.Weight;
import nla.io.DType;
import nla.io.StoredTensor;

/**
 * A weight read in place from its memory map. 1-D weights (norms, biases) are small and also kept
 * widened to fp32 on the heap.
 */
final class CpuWeight implements Weight {
  final MemorySegment data;
  final DType dtype;
  final int rows;
  final int cols;
  final float[] vector;

  CpuWeight(StoredTensor t) {
    this.data = t.data();
    this.dtype = t.dtype();
    if (t.rank() == 1) {
      this.rows = 1;
      this.cols = t.dim(0);
      this.vector = t.toFloatArray();
    } else if (t.rank() == 2) {
      this.rows = t.dim(0);
      this.cols = t.dim(1);
      this.vector = null;
    } else {
      throw new IllegalArgumentException(t.name() + ": rank " + t.rank());
    }
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }
}
