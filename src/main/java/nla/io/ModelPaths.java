package nla.io;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import nla.io.hub.Hub;
import nla.io.hub.HubSettings;
import nla.io.hub.RepoId;

/**
 * Turns what a user typed where a model is expected into a local directory: a directory path, or a
 * Hugging Face repo id {@code owner/name[@revision]} resolved through the Hugging Face hub cache
 * (downloaded into it when missing and online). A local directory that exists wins over a repo id
 * of the same spelling.
 */
public final class ModelPaths {
  private ModelPaths() {}

  public static Path resolve(String dirOrRepoId) {
    Path dir = Path.of(dirOrRepoId);
    // A local directory needs nothing from the Hub environment (a bad HF_ENDPOINT must not matter).
    if (Files.isDirectory(dir)) return dir;
    return resolve(dirOrRepoId, HubSettings.fromEnvironment());
  }

  /** As {@link #resolve(String)}, with explicit Hub settings instead of the environment's. */
  public static Path resolve(String dirOrRepoId, HubSettings settings) {
    Path dir = Path.of(dirOrRepoId);
    if (Files.isDirectory(dir)) return dir;
    Optional<RepoId> repo =
        looksLikePath(dirOrRepoId) ? Optional.empty() : RepoId.tryParse(dirOrRepoId);
    if (repo.isEmpty()) {
      throw new UserError(
          dirOrRepoId
              + ": no such model directory (nor a Hugging Face repo id owner/name[@revision])");
    }
    try {
      return new Hub(settings)
          .resolve(
              repo.get(), System.err, System.console() != null && System.console().isTerminal());
    } catch (UserError e) {
      if (e instanceof nla.io.hub.HubClient.HubUnreachable) {
        throw new UserError(
            dirOrRepoId
                + ": no such model directory, and not in the Hugging Face cache ("
                + settings.cacheDir()
                + "); the Hub is unreachable: "
                + e.getMessage()
                + " (set HF_HUB_OFFLINE=1 to work from the cache only)",
            e);
      }
      throw e;
    }
  }

  // "./a/b", "/a/b", "~/a" and the like are paths the user means, never repo ids.
  private static boolean looksLikePath(String s) {
    return s.startsWith(".") || s.startsWith("/") || s.startsWith("~") || s.contains("\\");
  }
}
