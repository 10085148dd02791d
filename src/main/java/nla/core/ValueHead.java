package nla.core;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import nla.io.SafeTensors;
import nla.io.StoredTensor;
import nla.io.UserError;

/**
 * An AR's value head, {@code value_head.safetensors}: one tensor {@code weight} of shape [d, d] (a
 * bias-free {@code nn.Linear}), pred = W·h. This is the file and its checks; the product runs on
 * the AR model's backend, where block K's output lies ({@link ActivationReconstructor}).
 */
public final class ValueHead implements AutoCloseable {
  public static final String TENSOR = "weight";

  private final Arena arena;
  private final StoredTensor weight;
  private final int d;

  private ValueHead(Arena arena, StoredTensor weight) {
    this.arena = arena;
    this.weight = weight;
    this.d = weight.dim(0);
  }

  /** Opens {@code DIR/value_head.safetensors} and checks it is [dModel, dModel]. */
  public static ValueHead load(Path modelDir, int dModel) {
    Path file = modelDir.resolve(Sidecar.VALUE_HEAD_FILE);
    if (!Files.isRegularFile(file)) {
      throw new UserError(
          file + ": missing; an AR checkpoint ships its value head beside config.json");
    }
    SafeTensors.Header header = SafeTensors.readHeader(file);
    Arena arena = Arena.ofShared();
    try {
      Map<String, StoredTensor> tensors = SafeTensors.map(header, arena);
      StoredTensor w = tensors.get(TENSOR);
      if (w == null) {
        throw new UserError(
            file
                + ": no tensor \""
                + TENSOR
                + "\" (has "
                + String.join(", ", tensors.keySet())
                + ")");
      }
      if (w.rank() != 2 || w.shape()[0] != dModel || w.shape()[1] != dModel) {
        throw new UserError(
            file
                + ": weight has shape "
                + w.shapeString()
                + ", expected ["
                + dModel
                + ", "
                + dModel
                + "] (d_model)");
      }
      return new ValueHead(arena, w);
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  public int dModel() {
    return d;
  }

  /**
   * The [d, d] weight, read in place from the memory map (open until {@link #close}); the AR hands
   * it to its model's backend ({@link nla.model.LanguageModel#lastTokenHead}).
   */
  public StoredTensor weight() {
    return weight;
  }

  @Override
  public void close() {
    arena.close();
  }
}
