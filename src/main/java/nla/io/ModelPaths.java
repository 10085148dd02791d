package nla.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns what a user typed where a model is expected into a local directory. Today: a directory
 * path. The Hub resolution (repo ids, {@code @revision}, the Hugging Face cache) plugs in here, so
 * every command that takes a model gets it at once.
 */
public final class ModelPaths {
  private ModelPaths() {}

  public static Path resolve(String dirOrRepoId) {
    Path dir = Path.of(dirOrRepoId);
    if (!Files.isDirectory(dir)) {
      throw new UserError(dirOrRepoId + ": no such model directory");
    }
    return dir;
  }
}
