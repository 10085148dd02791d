package nla.io;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a safetensors file, viewed in place: {@code data} is a slice of the file's memory
 * map (little-endian, C order), never a heap copy.
 */
public record StoredTensor(String name, DType dtype, long[] shape, MemorySegment data, Path file) {

  public long elementCount() {
    long n = 1;
    for (long s : shape) n *= s;
    return n;
  }

  public int rank() {
    return shape.length;
  }

  /** Size of dimension {@code i} as an int; every dimension of the models we run fits. */
  public int dim(int i) {
    return Math.toIntExact(shape[i]);
  }

  /** Element {@code i} widened to fp32 (slow path for small tensors and tests). */
  public float get(long i) {
    return switch (dtype) {
      case F32 -> data.get(Layouts.F32, i * 4);
      case BF16 -> Float.intBitsToFloat((data.get(Layouts.I16, i * 2) & 0xffff) << 16);
      case F16 -> Float.float16ToFloat(data.get(Layouts.I16, i * 2));
    };
  }

  /** The whole tensor widened to fp32 on the heap: only for small tensors (norms, biases). */
  public float[] toFloatArray() {
    float[] out = new float[Math.toIntExact(elementCount())];
    for (int i = 0; i < out.length; i++) out[i] = get(i);
    return out;
  }

  public String shapeString() {
    return Arrays.toString(shape);
  }
}
