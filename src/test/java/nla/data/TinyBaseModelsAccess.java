package nla.data;

import java.nio.file.Path;

/** Opens the tiny test models to tests of other packages (the CLI's). */
public final class TinyBaseModelsAccess {
  private TinyBaseModelsAccess() {}

  public static Path qwen(int layers) {
    return TinyBaseModels.qwen(layers);
  }

  public static Path gemma(int layers) {
    return TinyBaseModels.gemma(layers);
  }

  /** Writes a tiny model for trying the commands by hand: {@code qwen|gemma DIR LAYERS}. */
  public static void main(String[] args) {
    Path dir = Path.of(args[1]);
    int layers = Integer.parseInt(args[2]);
    System.out.println(
        args[0].equals("gemma")
            ? TinyBaseModels.gemma(dir, layers)
            : TinyBaseModels.qwen(dir, layers));
  }
}
