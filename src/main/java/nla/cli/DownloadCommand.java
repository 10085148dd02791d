package nla.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import nla.io.UserError;
import nla.io.hub.DownloadProgress;
import nla.io.hub.Downloader;
import nla.io.hub.Hub;
import nla.io.hub.HubSettings;
import nla.io.hub.RepoId;
import nla.io.hub.TerminalProgress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nla download}: a Hub repository into the Hugging Face cache. */
@Command(
    name = "download",
    mixinStandardHelpOptions = true,
    description = {
      "Download a Hugging Face model or dataset repository into the Hugging Face cache (the one"
          + " huggingface-cli, transformers and datasets use), in parallel, resumably, with every"
          + " file verified.",
      "Prints the snapshot directory, which any command taking a model directory accepts; so does"
          + " the repo id itself.",
      "Environment: HF_HUB_CACHE / HF_HOME (cache), HF_ENDPOINT (mirror), HF_TOKEN (gated or private"
          + " repos; else the huggingface-cli login token), HF_HUB_OFFLINE=1 (refuse network)."
    })
final class DownloadCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "REPO_ID", description = "owner/name, optionally @revision")
  String repoId;

  @Option(
      names = "--revision",
      paramLabel = "R",
      description = "Branch, tag or commit hash (default: main, or the @revision of REPO_ID).")
  String revision;

  @Option(
      names = "--repo-type",
      paramLabel = "TYPE",
      description =
          "model (default) or dataset; a dataset goes to datasets--owner--name in the cache.")
  String repoType = "model";

  @Option(
      names = "--include",
      paramLabel = "GLOB",
      description =
          "Download only files matching GLOB (fnmatch, as huggingface-cli: '*' crosses '/');"
              + " repeatable.")
  List<String> include = new ArrayList<>();

  @Option(
      names = "--workers",
      paramLabel = "N",
      description = "Files downloaded at once (default: ${DEFAULT-VALUE}).")
  int workers = Hub.DEFAULT_WORKERS;

  @Option(
      names = "--cache-dir",
      paramLabel = "DIR",
      description =
          "Hub cache directory (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).")
  Path cacheDir;

  @Option(
      names = "--endpoint",
      paramLabel = "URL",
      description = "Hub endpoint (default: $HF_ENDPOINT, else https://huggingface.co).")
  String endpoint;

  @Option(
      names = "--quiet",
      description =
          "No progress on stderr (else a bar on a terminal, plain lines at a calm rate off one).")
  boolean quiet;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    RepoId repo = RepoId.parse(repoId).ofType(RepoId.Type.parse(repoType));
    if (revision != null) {
      if (repoId.contains("@")) {
        throw new UserError("--revision: REPO_ID already names a revision (" + repoId + ")");
      }
      repo = repo.atRevision(revision);
    }
    HubSettings settings = HubSettings.fromEnvironment();
    if (cacheDir != null) settings = settings.withCacheDir(cacheDir);
    if (endpoint != null) {
      try {
        settings = settings.withEndpoint(URI.create(endpoint));
      } catch (IllegalArgumentException e) {
        throw new UserError("--endpoint: not a URL: " + endpoint);
      }
    }
    boolean terminal = !quiet && System.console() != null && System.console().isTerminal();
    // Off a terminal (a log, CI) a long download still says how far it is, in plain lines.
    DownloadProgress progress =
        quiet ? DownloadProgress.quiet() : new TerminalProgress(System.err, terminal);
    Downloader.Result result = new Hub(settings).download(repo, include, workers, progress);
    if (terminal) {
      System.err.printf(
          "%s @ %s: %d files, %d blobs downloaded, %d already cached%n",
          repo,
          result.commit().substring(0, 12),
          result.files(),
          result.blobsDownloaded(),
          result.blobsReused());
    }
    spec.commandLine().getOut().println(result.snapshot());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
