package nla.model;

import java.io.IOException;
import java.nio.file.Path;
import nla.io.DType;

/** Tiny random models for CLI tests in other packages. */
public final class CliFixtures {
  private CliFixtures() {}

  public static Path qwen2(Path dir) throws IOException {
    return TinyModels.write(dir, TinyModels.Kind.QWEN2, 2, DType.BF16, 3);
  }

  /** A tiny Qwen2 model whose vocabulary fits the given tokenizer's. */
  public static Path qwen2WithVocab(Path dir, int vocab) throws IOException {
    return TinyModels.write(dir, TinyModels.Kind.QWEN2, 2, DType.BF16, 3, vocab);
  }

  public static Path gemmaWrapper(Path dir) throws IOException {
    return TinyModels.write(dir, TinyModels.Kind.GEMMA3_WRAPPER, 2, DType.BF16, 3);
  }
}
