package nla.data;

import java.nio.file.Path;

/** Opens the tiny test models to tests of other packages (the CLI's). */
public final class TinyBaseModelsAccess {
  private TinyBaseModelsAccess() {}

  public static Path qwen(Path dir, int layers) {
    return TinyBaseModels.qwen(dir, layers);
  }

  public static Path gemma(Path dir, int layers) {
    return TinyBaseModels.gemma(dir, layers);
  }
}
