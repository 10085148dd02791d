package nla.io;

/** The element types a checkpoint's weights may be stored in; activations are always fp32. */
public enum DType {
  BF16(2),
  F16(2),
  F32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /** The safetensors header spelling ({@code "BF16"}, {@code "F16"}, {@code "F32"}), or null. */
  static DType fromHeader(String name) {
    for (DType d : values()) if (d.name().equals(name)) return d;
    return null;
  }
}
