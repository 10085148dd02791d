package nla.io.hub;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import nla.io.UserError;

/**
 * Hugging Face checkpoints by name: finds a repo id in the hub cache, or downloads it there. The
 * cache is the one {@code huggingface_hub} uses (see {@link HubSettings}), shared both ways.
 */
public final class Hub {
  public static final int DEFAULT_WORKERS = 8;

  private final HubSettings settings;
  private final HubCache cache;

  public Hub(HubSettings settings) {
    this.settings = settings;
    this.cache = new HubCache(settings.cacheDir());
  }

  public static Hub fromEnvironment() {
    return new Hub(HubSettings.fromEnvironment());
  }

  public HubSettings settings() {
    return settings;
  }

  public HubCache cache() {
    return cache;
  }

  /** The cached snapshot of the repo's revision, without touching the network. */
  public Optional<Path> cached(RepoId repo) {
    return cache.snapshot(repo);
  }

  /**
   * The local snapshot folder of {@code repo}: the cached one when there is one (no network), else
   * downloaded now, with its progress on {@code log} (a bar on a terminal, else plain lines at a
   * calm rate). Offline and not cached is a user error that says how to get it.
   */
  public Path resolve(RepoId repo, PrintStream log, boolean terminal) {
    Optional<Path> snapshot = cached(repo);
    if (snapshot.isPresent()) return snapshot.get();
    if (settings.offline()) {
      throw new UserError(
          repo
              + " is not in the Hugging Face cache ("
              + cache.root()
              + ") and HF_HUB_OFFLINE is"
              + " set; download it first, online: nla download "
              + repo.id()
              + (repo.revision().equals(RepoId.DEFAULT_REVISION)
                  ? ""
                  : " --revision " + repo.revision())
              + " (or huggingface-cli download "
              + repo.id()
              + ")");
    }
    if (log != null)
      log.println("nla: " + repo + " is not cached; downloading it to " + cache.root());
    DownloadProgress progress =
        log != null ? new TerminalProgress(log, terminal) : DownloadProgress.quiet();
    return download(repo, List.of(), DEFAULT_WORKERS, progress).snapshot();
  }

  public Downloader.Result download(
      RepoId repo, List<String> include, int workers, DownloadProgress progress) {
    return new Downloader(new HubClient(settings), cache, workers, progress)
        .download(repo, new Glob(include));
  }
}
