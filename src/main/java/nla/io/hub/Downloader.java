package nla.io.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nla.io.ProgressBar;
import nla.io.UserError;

/**
 * Downloads a repository snapshot into the hub cache: lists the files, fetches the missing blobs in
 * parallel (each resumable from its {@code .incomplete} file with an HTTP range request, retried
 * when the connection drops), verifies size and sha256 (LFS) or git blob sha1 (plain files), then
 * renames each blob into place, links it into the snapshot, and finally records the revision's
 * commit in {@code refs/}. Nothing half-written ever carries a final name.
 */
public final class Downloader {
  /** What a download did. */
  public record Result(
      RepoId repo,
      String commit,
      Path snapshot,
      int files,
      int blobsDownloaded,
      int blobsReused,
      long bytesDownloaded) {}

  private static final int MAX_FAILURES_WITHOUT_PROGRESS = 5;
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
  private static final int BUFFER = 1 << 20;

  private final HubClient client;
  private final HubCache cache;
  private final int workers;
  private final DownloadProgress progress;
  private final Duration retryDelay;
  private final Duration stallTimeout;

  public Downloader(HubClient client, HubCache cache, int workers, DownloadProgress progress) {
    this(client, cache, workers, progress, Duration.ofSeconds(1), Duration.ofSeconds(60));
  }

  /**
   * @param retryDelay the first wait after a failed attempt; doubled each time, at most 30 s
   * @param stallTimeout a transfer that receives nothing for this long is dropped and resumed
   */
  public Downloader(
      HubClient client,
      HubCache cache,
      int workers,
      DownloadProgress progress,
      Duration retryDelay,
      Duration stallTimeout) {
    if (workers < 1) throw new UserError("--workers must be at least 1, got " + workers);
    this.client = client;
    this.cache = cache;
    this.workers = workers;
    this.progress = progress;
    this.retryDelay = retryDelay;
    this.stallTimeout = stallTimeout;
  }

  /** Downloads the files of {@code repo} whose paths match {@code include} (all when empty). */
  public Result download(RepoId repo, Glob include) {
    if (client.settings().offline()) {
      throw new UserError(
          repo + ": HF_HUB_OFFLINE is set, so nothing can be downloaded; unset it to download");
    }
    RepoListing listing = client.listing(repo);
    List<RepoFile> files = listing.files().stream().filter(f -> include.matches(f.path())).toList();
    if (files.isEmpty()) {
      throw new UserError(
          repo
              + ": "
              + (listing.files().isEmpty()
                  ? "the repository has no files"
                  : "no file matches --include (it has " + listing.files().size() + " files)"));
    }
    String commit = listing.commit();
    try {
      cache.prepare(repo);
    } catch (IOException e) {
      throw new UserError(cache.root() + ": cannot create the hub cache: " + e.getMessage(), e);
    }

    // One download per blob: identical files share an etag, hence a blob and a lock.
    Map<String, List<RepoFile>> byEtag = new LinkedHashMap<>();
    for (RepoFile f : files) {
      if (f.etag() == null || f.etag().isEmpty()) {
        throw new UserError(repo + ": the listing gives no blob id for " + f.path());
      }
      byEtag.computeIfAbsent(f.etag(), k -> new ArrayList<>()).add(f);
    }
    List<RepoFile> missing = new ArrayList<>();
    List<RepoFile> present = new ArrayList<>();
    long totalBytes = 0;
    long alreadyBytes = 0;
    for (List<RepoFile> same : byEtag.values()) {
      RepoFile f = same.getFirst();
      if (Files.isRegularFile(cache.blob(repo, f.etag()))) {
        present.add(f);
      } else {
        missing.add(f);
        long have = sizeOrZero(cache.incompleteBlob(repo, f.etag()));
        totalBytes += Math.max(f.size(), 0);
        alreadyBytes += Math.min(have, Math.max(f.size(), 0));
      }
    }
    checkDiskSpace(repo, totalBytes - alreadyBytes);

    for (RepoFile f : present) linkAll(repo, commit, byEtag.get(f.etag()));
    AtomicLong downloaded = new AtomicLong();
    if (!missing.isEmpty()) {
      progress.start(totalBytes, alreadyBytes, missing.size());
      try {
        fetchAll(repo, commit, missing, byEtag, downloaded);
      } finally {
        progress.finish();
      }
    }
    try {
      cache.writeRef(repo, commit);
    } catch (IOException e) {
      throw new UserError(
          cache.refFile(repo, repo.revision()) + ": cannot write: " + e.getMessage(), e);
    }
    return new Result(
        repo,
        commit,
        cache.snapshotDir(repo, commit),
        files.size(),
        missing.size(),
        present.size(),
        downloaded.get());
  }

  private void fetchAll(
      RepoId repo,
      String commit,
      List<RepoFile> missing,
      Map<String, List<RepoFile>> byEtag,
      AtomicLong downloaded) {
    Map<InputStream, AtomicLong> active = new ConcurrentHashMap<>();
    ScheduledExecutorService watchdog =
        Executors.newSingleThreadScheduledExecutor(daemon("nla-download-watchdog"));
    watchdog.scheduleAtFixedRate(() -> closeStalled(active), 1, 1, TimeUnit.SECONDS);
    ExecutorService pool =
        Executors.newFixedThreadPool(Math.min(workers, missing.size()), daemon("nla-download"));
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (RepoFile f : missing) {
        futures.add(
            pool.submit(
                () -> {
                  downloaded.addAndGet(fetchBlob(repo, commit, f, active));
                  linkAll(repo, commit, byEtag.get(f.etag()));
                  progress.fileDone(f.path());
                  return null;
                }));
      }
      for (Future<?> future : futures) {
        try {
          future.get();
        } catch (ExecutionException e) {
          pool.shutdownNow();
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException re) throw re;
          if (cause instanceof Error err) throw err;
          throw new IllegalStateException(cause);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserError(repo + ": download interrupted; run again to resume", e);
    } finally {
      pool.shutdownNow();
      watchdog.shutdownNow();
    }
  }

  /** Fetches one blob into place; returns the bytes that came over the network. */
  private long fetchBlob(
      RepoId repo, String commit, RepoFile f, Map<InputStream, AtomicLong> active)
      throws IOException, InterruptedException {
    Path blob = cache.blob(repo, f.etag());
    Path part = cache.incompleteBlob(repo, f.etag());
    Path lockFile = cache.lockFile(repo, f.etag());
    Files.createDirectories(lockFile.getParent());
    // Another nla process may be fetching the same blob: wait for it. (huggingface_hub writes to
    // temporary files of its own, uniquely named, so sharing the cache with it needs no common
    // lock.)
    try (FileChannel lockChannel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockChannel.lock()) {
      if (Files.isRegularFile(blob)) {
        progress.advance(Math.max(f.size(), 0) - Math.min(sizeOrZero(part), Math.max(f.size(), 0)));
        return 0;
      }
      long received = transfer(repo, commit, f, part, active);
      verify(repo, f, part);
      cache.placeBlob(part, blob);
      return received;
    }
  }

  private long transfer(
      RepoId repo, String commit, RepoFile f, Path part, Map<InputStream, AtomicLong> active)
      throws InterruptedException {
    URI url = client.resolveUrl(repo, commit, f.path());
    long have = sizeOrZero(part);
    if (f.size() >= 0 && have > f.size()) {
      truncate(part, 0);
      progress.advance(-Math.min(have, f.size()));
      have = 0;
    }
    long received = 0;
    int failures = 0;
    String lastFailure = "";
    while (f.size() < 0 || have < f.size()) {
      if (failures > 0) {
        if (failures > MAX_FAILURES_WITHOUT_PROGRESS) {
          throw new UserError(
              repo
                  + ": "
                  + f.path()
                  + ": download failed "
                  + failures
                  + " times in a row ("
                  + lastFailure
                  + "); "
                  + have
                  + " bytes are kept and the next run resumes from there");
        }
        long wait = Math.min(retryDelay.toMillis() << Math.min(failures - 1, 10), 30_000);
        Thread.sleep(wait);
      }
      HubClient.Fetched fetched;
      try {
        fetched = client.get(url, have, repo, hub -> checkIdentity(repo, f, hub));
      } catch (HubClient.HubUnreachable e) {
        failures++;
        lastFailure = e.getMessage();
        continue;
      }
      HttpResponse<InputStream> r = fetched.response();
      int status = r.statusCode();
      if (status == 416 && have > 0) {
        // Asked for bytes past the end: we have the whole file (verification will tell).
        HubClient.closeQuietly(r.body());
        break;
      }
      if (status == 200 && have > 0) {
        // The server ignored the range: start over rather than append a second copy.
        truncate(part, 0);
        progress.advance(-have);
        have = 0;
      } else if (status == 206) {
        long start = rangeStart(r.headers());
        if (start != have) {
          HubClient.closeQuietly(r.body());
          failures++;
          lastFailure = "the server sent bytes from " + start + " when asked from " + have;
          truncate(part, 0);
          progress.advance(-have);
          have = 0;
          continue;
        }
      } else if (status != 200) {
        if (status == 408 || status == 429 || status / 100 == 5) {
          HubClient.closeQuietly(r.body());
          failures++;
          lastFailure = "HTTP " + status;
          continue;
        }
        throw client.error(repo, f.path(), r, r.body());
      }
      long before = have;
      StreamOutcome outcome = stream(r.body(), part, have, active);
      have = outcome.length();
      received += have - before;
      if (have > before) failures = 0;
      if (outcome.networkError() != null) {
        failures++;
        lastFailure = outcome.networkError();
        continue;
      }
      if (f.size() < 0) break;
      if (have < f.size()) {
        failures++;
        lastFailure = "the connection ended after " + have + " of " + f.size() + " bytes";
      }
    }
    return received;
  }

  private record StreamOutcome(long length, String networkError) {}

  /**
   * Appends the body to {@code part} from {@code offset}; network failures are returned, disk ones
   * thrown.
   */
  private StreamOutcome stream(
      InputStream body, Path part, long offset, Map<InputStream, AtomicLong> active) {
    AtomicLong lastByte = new AtomicLong(System.nanoTime());
    active.put(body, lastByte);
    long position = offset;
    try (InputStream in = body;
        FileChannel out =
            FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      out.truncate(offset);
      out.position(offset);
      byte[] buffer = new byte[BUFFER];
      while (true) {
        int n;
        try {
          n = in.read(buffer);
        } catch (IOException e) {
          return new StreamOutcome(position, HubClient.describe(e));
        }
        if (n < 0) return new StreamOutcome(position, null);
        lastByte.set(System.nanoTime());
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
        try {
          while (chunk.hasRemaining()) out.write(chunk);
        } catch (IOException e) {
          throw writeError(part, e);
        }
        position += n;
        progress.advance(n);
      }
    } catch (IOException e) {
      // opening or closing the part file (closing the body is an in-memory affair)
      throw writeError(part, e);
    } finally {
      active.remove(body);
    }
  }

  private void closeStalled(Map<InputStream, AtomicLong> active) {
    long now = System.nanoTime();
    active.forEach(
        (in, last) -> {
          if (now - last.get() > stallTimeout.toNanos()) HubClient.closeQuietly(in);
        });
  }

  /** The Hub's headers on the first answer name the blob: it must be the one the listing named. */
  private static void checkIdentity(RepoId repo, RepoFile f, HttpHeaders hub) {
    // X-Repo-Commit marks an answer from the Hub itself; a plain mirror's ETag may be anything.
    if (hub.firstValue("X-Repo-Commit").isEmpty()) return;
    String etag =
        hub.firstValue("X-Linked-Etag")
            .or(() -> hub.firstValue("ETag"))
            .map(Downloader::normalizeEtag)
            .orElse(null);
    if (etag != null && !etag.equals(f.etag())) {
      throw new UserError(
          repo
              + ": "
              + f.path()
              + ": the Hub serves blob "
              + etag
              + " but its listing named "
              + f.etag()
              + "; the repository changed during the download, run again");
    }
    String size = hub.firstValue("X-Linked-Size").orElse(null);
    if (size != null && f.size() >= 0 && !size.strip().equals(Long.toString(f.size()))) {
      throw new UserError(
          repo
              + ": "
              + f.path()
              + ": the Hub gives size "
              + size
              + " but its listing "
              + f.size()
              + "; the repository changed during the download, run again");
    }
  }

  /** As huggingface_hub's _normalize_etag: W/"x" and "x" both name x. */
  static String normalizeEtag(String etag) {
    String e = etag.strip();
    if (e.startsWith("W/")) e = e.substring(2);
    if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\""))
      e = e.substring(1, e.length() - 1);
    return e;
  }

  private static long rangeStart(HttpHeaders headers) {
    String value = headers.firstValue("Content-Range").orElse("");
    Matcher m = CONTENT_RANGE.matcher(value.strip());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private void verify(RepoId repo, RepoFile f, Path part) throws IOException {
    long actual = Files.size(part);
    if (f.size() >= 0 && actual != f.size()) {
      Files.delete(part);
      throw new UserError(
          repo
              + ": "
              + f.path()
              + ": downloaded "
              + actual
              + " bytes, the Hub lists "
              + f.size()
              + "; the partial file was removed, run again");
    }
    String expected;
    String got;
    if (f.isLfs()) {
      expected = f.sha256().toLowerCase(Locale.ROOT);
      got = digest(part, "SHA-256", null);
    } else if (RepoId.isCommitHash(f.etag())) {
      // A plain git file's etag is its git blob id: sha1("blob <size>\0" + content).
      expected = f.etag();
      got = digest(part, "SHA-1", ("blob " + actual + "\0").getBytes(StandardCharsets.US_ASCII));
    } else {
      return;
    }
    if (!expected.equals(got)) {
      Files.delete(part);
      throw new UserError(
          repo
              + ": "
              + f.path()
              + ": checksum mismatch ("
              + (f.isLfs() ? "sha256 " : "git sha1 ")
              + got
              + ", expected "
              + expected
              + "); the corrupt file was removed, run again");
    }
  }

  static String digest(Path file, String algorithm, byte[] prefix) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is part of every JDK", e);
    }
    if (prefix != null) md.update(prefix);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
      while (ch.read(buf) >= 0) {
        buf.flip();
        md.update(buf);
        buf.clear();
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private void linkAll(RepoId repo, String commit, List<RepoFile> same) {
    for (RepoFile f : same) {
      try {
        cache.link(repo, commit, f.path(), f.etag());
      } catch (IOException e) {
        throw new UserError(
            cache.pointer(repo, commit, f.path())
                + ": cannot link into the snapshot: "
                + e.getMessage(),
            e);
      }
    }
  }

  private void checkDiskSpace(RepoId repo, long needed) {
    Path blobs = cache.blob(repo, "x").getParent();
    long usable;
    try {
      usable = Files.getFileStore(blobs).getUsableSpace();
    } catch (IOException e) {
      return; // cannot tell: the write itself will say if the disk fills
    }
    if (needed > usable) {
      throw new UserError(
          "not enough disk space in "
              + cache.root()
              + ": "
              + repo
              + " needs "
              + ProgressBar.bytes(needed)
              + ", "
              + ProgressBar.bytes(usable)
              + " are free; free some space or set HF_HUB_CACHE to another disk");
    }
  }

  private UserError writeError(Path part, IOException e) {
    String m = HubClient.describe(e);
    if (m.contains("No space left") || m.contains("Disk quota exceeded")) {
      return new UserError(
          "disk full while writing "
              + part
              + " ("
              + m
              + "); the partial download is kept: free"
              + " some space (or set HF_HUB_CACHE to another disk) and run again to resume",
          e);
    }
    return new UserError(part + ": cannot write: " + m, e);
  }

  private static void truncate(Path part, long length) {
    try (FileChannel ch =
        FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.truncate(length);
    } catch (IOException e) {
      throw new UserError(part + ": cannot write: " + e.getMessage(), e);
    }
  }

  private static long sizeOrZero(Path p) {
    try {
      return Files.isRegularFile(p) ? Files.size(p) : 0;
    } catch (IOException e) {
      throw new UserError(p + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
