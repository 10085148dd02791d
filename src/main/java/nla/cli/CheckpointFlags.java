package nla.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The flags that name a model or an NLA checkpoint, each declared once and mixed into every command
 * that takes it ({@code @Mixin CheckpointFlags.Av av}). A directory or a Hub repo id.
 */
final class CheckpointFlags {
  private CheckpointFlags() {}

  /** {@code --model DIR}: a base model. */
  static final class Model {
    @Option(
        names = "--model",
        required = true,
        paramLabel = "DIR",
        description = "Model directory.")
    String dir;
  }

  /** {@code --av DIR}: the activation verbalizer. */
  static final class Av {
    @Option(
        names = "--av",
        required = true,
        paramLabel = "DIR",
        description = "AV checkpoint directory.")
    String dir;
  }

  /** {@code --ar DIR}: the activation reconstructor. */
  static final class Ar {
    @Option(
        names = "--ar",
        required = true,
        paramLabel = "DIR",
        description = "AR checkpoint directory.")
    String dir;
  }

  /** {@code --vectors FILE [--rows LIST]}: the vectors a command reads, optionally some rows. */
  static final class Vectors {
    @Option(
        names = "--vectors",
        required = true,
        paramLabel = "FILE",
        description = "Vectors: .npy [n, d] or [d] (float32/float64), or an activation .parquet.")
    Path file;

    @Option(
        names = "--rows",
        paramLabel = "LIST",
        description = "Rows to use, e.g. 0,2,5 or 0-9 (default: all).")
    String rows;

    VectorInput.Selection read() {
      return VectorInput.read(file, rows);
    }
  }
}
