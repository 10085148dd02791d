package nla.io.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import nla.cli.Main;
import nla.io.ModelPaths;
import nla.io.UserError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `nla download` end to end against a loopback fake Hub; nothing here reaches the internet. */
class HubDownloadTest {
  static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
  static final String V1_COMMIT = "89abcdef0123456789abcdef0123456789abcdef";
  static final byte[] CONFIG =
      "{\"model_type\": \"qwen2\", \"hidden_size\": 8}\n".getBytes(StandardCharsets.UTF_8);
  static final byte[] META = "kind: nla_model\nd_model: 8\n".getBytes(StandardCharsets.UTF_8);
  static final byte[] WEIGHTS = FakeHub.randomBytes(3_000_000, 1);
  static final byte[] SHARD = FakeHub.randomBytes(1_500_000, 2);

  @TempDir Path tmp;
  FakeHub hub;
  FakeHub.FakeRepo repo;

  @BeforeEach
  void startHub() throws IOException {
    hub = new FakeHub();
    repo =
        hub.add(
            new FakeHub.FakeRepo("kitft/nla-tiny-av", COMMIT)
                .file("config.json", CONFIG, false)
                .file("nla_meta.yaml", META, false)
                .file("model.safetensors", WEIGHTS, true)
                .file("extra/deep/shard.bin", SHARD, true)
                .file("extra/copy-of-config.json", CONFIG, false));
    repo.refs.put("v1", V1_COMMIT);
  }

  @AfterEach
  void stopHub() {
    hub.close();
  }

  HubSettings settings() {
    return new HubSettings(tmp.resolve("hub-cache"), hub.endpoint(), null, false);
  }

  Downloader downloader(HubSettings s) {
    return new Downloader(
        new HubClient(s),
        new HubCache(s.cacheDir()),
        4,
        DownloadProgress.quiet(),
        Duration.ofMillis(10),
        Duration.ofSeconds(1));
  }

  Downloader.Result download(HubSettings s, String repoId, String... include) {
    return downloader(s).download(RepoId.parse(repoId), new Glob(List.of(include)));
  }

  Path repoDir(HubSettings s) {
    return s.cacheDir().resolve("models--kitft--nla-tiny-av");
  }

  @Test
  void downloadLaysTheRepoOutAsHuggingfaceHubDoes() throws IOException {
    HubSettings s = settings();
    Downloader.Result r = download(s, "kitft/nla-tiny-av");

    Path repoDir = repoDir(s);
    Path snapshot = repoDir.resolve("snapshots").resolve(COMMIT);
    assertEquals(snapshot, r.snapshot());
    assertEquals(COMMIT, r.commit());
    assertEquals(
        COMMIT, Files.readString(repoDir.resolve("refs/main")), "refs/main: the bare hash");
    // Plain files are named by their git blob sha1, LFS files by their sha256.
    assertEquals(
        Path.of("../../blobs/" + FakeHub.hex("SHA-256", WEIGHTS)),
        Files.readSymbolicLink(snapshot.resolve("model.safetensors")));
    FakeHub.FakeFile config = repo.files.get("config.json");
    assertEquals(
        Path.of("../../blobs/" + config.gitSha1()),
        Files.readSymbolicLink(snapshot.resolve("config.json")));
    assertEquals(
        Path.of("../../../../blobs/" + FakeHub.hex("SHA-256", SHARD)),
        Files.readSymbolicLink(snapshot.resolve("extra/deep/shard.bin")));
    assertArrayEquals(WEIGHTS, Files.readAllBytes(snapshot.resolve("model.safetensors")));
    assertArrayEquals(SHARD, Files.readAllBytes(snapshot.resolve("extra/deep/shard.bin")));
    assertArrayEquals(CONFIG, Files.readAllBytes(snapshot.resolve("config.json")));
    assertArrayEquals(CONFIG, Files.readAllBytes(snapshot.resolve("extra/copy-of-config.json")));
    assertArrayEquals(META, Files.readAllBytes(snapshot.resolve("nla_meta.yaml")));
    try (Stream<Path> blobs = Files.list(repoDir.resolve("blobs"))) {
      List<String> names = blobs.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(4, names.size(), "identical files share one blob: " + names);
      assertTrue(names.stream().noneMatch(n -> n.endsWith(".incomplete")), names.toString());
    }
    assertTrue(Files.isRegularFile(s.cacheDir().resolve("CACHEDIR.TAG")));
    assertEquals(5, r.files());
    assertEquals(4, r.blobsDownloaded());
    assertEquals(WEIGHTS.length + SHARD.length + CONFIG.length + META.length, r.bytesDownloaded());

    FakeHub.Seen listing = hub.seenBy("hub").getFirst();
    assertEquals("/api/models/kitft/nla-tiny-av/revision/main", listing.path());
    assertEquals("blobs=true", listing.query());
    // Files are fetched at the listed commit, so a push during the download cannot mix versions.
    assertTrue(
        hub.seenBy("hub").stream()
            .filter(x -> x.path().contains("/resolve/"))
            .allMatch(x -> x.path().contains("/resolve/" + COMMIT + "/")));
    assertEquals(2, hub.seenBy("cdn").size(), "the two LFS files come from the CDN");
  }

  @Test
  void aDownloadIntoALogSaysHowFarItIsInPlainLines() {
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
    // Each look at the clock is 11 s later: every redraw is due for a line.
    var bar =
        nla.io.ProgressBar.plainLines(
            "download",
            null,
            new java.io.PrintStream(log, true, StandardCharsets.UTF_8),
            () -> now.addAndGet(11_000_000_000L));
    HubSettings s = settings();
    new Hub(s).download(RepoId.parse("kitft/nla-tiny-av"), List.of(), 4, new TerminalProgress(bar));
    String text = log.toString(StandardCharsets.UTF_8);
    List<String> lines = text.lines().toList();
    assertTrue(lines.get(0).startsWith("0/4 files ["), text);
    String last = lines.get(lines.size() - 1);
    assertTrue(last.startsWith("4/4 files [") && last.endsWith("done"), text);
    assertTrue(last.contains("4.50 MB/4.50 MB"), text); // the weights and the shard (LFS)
    for (char c : text.toCharArray())
      assertTrue(c == '\n' || c >= ' ', "a control character in the log: " + (int) c);
  }

  @Test
  void aSecondDownloadReusesTheCacheAndFetchesNoFile() {
    HubSettings s = settings();
    download(s, "kitft/nla-tiny-av");
    hub.seen.clear();
    Downloader.Result again = download(s, "kitft/nla-tiny-av");
    assertEquals(0, again.blobsDownloaded());
    assertEquals(4, again.blobsReused());
    assertEquals(0, again.bytesDownloaded());
    assertEquals(1, hub.seen.size(), "only the listing: " + hub.seen);
  }

  @Test
  void aDroppedConnectionIsResumedWithARangeRequest() throws IOException {
    HubSettings s = settings();
    String etag = FakeHub.hex("SHA-256", WEIGHTS);
    hub.dropOnce.put(etag, 1_234_567L);
    Downloader.Result r = download(s, "kitft/nla-tiny-av", "model.safetensors");

    List<FakeHub.Seen> cdn = hub.seenBy("cdn");
    assertEquals(2, cdn.size(), cdn.toString());
    assertNull(cdn.get(0).range(), "the first request starts at 0");
    // The server dropped the connection after sending 1,234,567 bytes; the client may lose the
    // tail of what was in flight, so it resumes from what it wrote: more than 0, at most that.
    long resumedAt = rangeStart(cdn.get(1));
    assertTrue(resumedAt > 0 && resumedAt <= 1_234_567, cdn.toString());
    assertArrayEquals(WEIGHTS, Files.readAllBytes(r.snapshot().resolve("model.safetensors")));
    assertEquals(WEIGHTS.length, r.bytesDownloaded(), "no byte fetched twice");
    assertFalse(Files.exists(repoDir(s).resolve("blobs/" + etag + ".incomplete")));
  }

  @Test
  void anIncompleteFileFromAnEarlierRunIsResumedNotRestarted() throws IOException {
    HubSettings s = settings();
    String etag = FakeHub.hex("SHA-256", WEIGHTS);
    Path blobs = Files.createDirectories(repoDir(s).resolve("blobs"));
    Files.write(blobs.resolve(etag + ".incomplete"), Arrays.copyOf(WEIGHTS, 100_000));

    Downloader.Result r = download(s, "kitft/nla-tiny-av", "model.safetensors");

    assertEquals("bytes=100000-", hub.seenBy("cdn").getFirst().range());
    assertEquals(WEIGHTS.length - 100_000, r.bytesDownloaded());
    assertArrayEquals(WEIGHTS, Files.readAllBytes(r.snapshot().resolve("model.safetensors")));
  }

  @Test
  void aServerThatIgnoresTheRangeMakesTheFileStartOver() throws IOException {
    HubSettings s = settings();
    String etag = FakeHub.hex("SHA-256", WEIGHTS);
    Path blobs = Files.createDirectories(repoDir(s).resolve("blobs"));
    Files.write(blobs.resolve(etag + ".incomplete"), Arrays.copyOf(WEIGHTS, 100_000));
    hub.ignoreRanges = true;

    Downloader.Result r = download(s, "kitft/nla-tiny-av", "model.safetensors");

    assertArrayEquals(WEIGHTS, Files.readAllBytes(r.snapshot().resolve("model.safetensors")));
  }

  @Test
  void aStalledTransferIsDroppedAndResumed() throws IOException {
    HubSettings s = settings();
    hub.stallOnce.put(FakeHub.hex("SHA-256", SHARD), 700_000L);
    Downloader.Result r = download(s, "kitft/nla-tiny-av", "extra/*");
    List<FakeHub.Seen> cdn = hub.seenBy("cdn");
    long resumedAt = rangeStart(cdn.getLast());
    assertTrue(resumedAt > 0 && resumedAt <= 700_000, cdn.toString());
    assertEquals(SHARD.length + CONFIG.length, r.bytesDownloaded(), "no byte fetched twice");
    assertArrayEquals(SHARD, Files.readAllBytes(r.snapshot().resolve("extra/deep/shard.bin")));
  }

  @Test
  void corruptBytesFailTheSha256CheckAndAreRemoved() {
    HubSettings s = settings();
    String etag = FakeHub.hex("SHA-256", WEIGHTS);
    hub.corrupt.put(etag, true);
    UserError e =
        assertThrows(UserError.class, () -> download(s, "kitft/nla-tiny-av", "model.safetensors"));
    assertTrue(e.getMessage().contains("checksum mismatch (sha256"), e.getMessage());
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    assertFalse(Files.exists(repoDir(s).resolve("blobs/" + etag + ".incomplete")));
    assertFalse(Files.exists(repoDir(s).resolve("blobs/" + etag)));
    assertFalse(Files.exists(repoDir(s).resolve("refs/main")), "no ref to a failed snapshot");
  }

  @Test
  void corruptPlainFilesFailTheGitBlobCheck() {
    HubSettings s = settings();
    hub.corrupt.put(repo.files.get("config.json").gitSha1(), true);
    UserError e =
        assertThrows(UserError.class, () -> download(s, "kitft/nla-tiny-av", "config.json"));
    assertTrue(e.getMessage().contains("checksum mismatch (git sha1"), e.getMessage());
  }

  @Test
  void includeGlobsSelectFilesAsHuggingfaceCliDoes() {
    HubSettings s = settings();
    Downloader.Result r = download(s, "kitft/nla-tiny-av", "*.json", "*.yaml");
    assertEquals(
        3, r.files(), "config.json, extra/copy-of-config.json ('*' crosses '/'), nla_meta.yaml");
    assertTrue(Files.exists(r.snapshot().resolve("extra/copy-of-config.json")));
    assertFalse(Files.exists(r.snapshot().resolve("model.safetensors")));
    assertTrue(hub.seenBy("cdn").isEmpty());

    UserError none =
        assertThrows(UserError.class, () -> download(s, "kitft/nla-tiny-av", "*.gguf"));
    assertTrue(none.getMessage().contains("no file matches --include"), none.getMessage());
  }

  @Test
  void aRevisionIsFetchedAndRecordedUnderRefs() throws IOException {
    HubSettings s = settings();
    Downloader.Result r = download(s, "kitft/nla-tiny-av@v1", "config.json");
    assertEquals(V1_COMMIT, r.commit());
    assertEquals(V1_COMMIT, Files.readString(repoDir(s).resolve("refs/v1")));
    assertFalse(Files.exists(repoDir(s).resolve("refs/main")));
    assertEquals("/api/models/kitft/nla-tiny-av/revision/v1", hub.seenBy("hub").getFirst().path());
  }

  @Test
  void theTokenGoesToTheHubButNeverToTheCdn() {
    repo.gatedToken = "hf_secret";
    HubSettings s = settings().withToken("hf_secret");
    download(s, "kitft/nla-tiny-av");
    assertTrue(hub.seenBy("hub").stream().allMatch(x -> "Bearer hf_secret".equals(x.auth())));
    assertTrue(
        hub.seenBy("cdn").stream().allMatch(x -> x.auth() == null), hub.seenBy("cdn").toString());
  }

  @Test
  void aGatedRepoWithoutAccessSaysToAcceptTheLicenseAndSetHfToken() {
    repo.gatedToken = "hf_accepted";
    UserError noToken =
        assertThrows(UserError.class, () -> download(settings(), "kitft/nla-tiny-av"));
    assertTrue(noToken.getMessage().contains("gated"), noToken.getMessage());
    assertTrue(
        noToken
            .getMessage()
            .contains("accept its license at " + hub.endpoint() + "/kitft/nla-tiny-av"),
        noToken.getMessage());
    assertTrue(noToken.getMessage().contains("HF_TOKEN"), noToken.getMessage());
    assertTrue(noToken.getMessage().contains("HTTP 401"), noToken.getMessage());

    UserError wrongToken =
        assertThrows(
            UserError.class, () -> download(settings().withToken("hf_other"), "kitft/nla-tiny-av"));
    assertTrue(wrongToken.getMessage().contains("HTTP 403"), wrongToken.getMessage());
    assertTrue(wrongToken.getMessage().contains("accept its license"), wrongToken.getMessage());
  }

  @Test
  void aMissingOrPrivateRepoIsNotFoundWithAdviceAboutTheToken() {
    UserError e = assertThrows(UserError.class, () -> download(settings(), "kitft/no-such-repo"));
    assertTrue(
        e.getMessage().startsWith("kitft/no-such-repo: repository not found"), e.getMessage());
    assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
    assertTrue(e.getMessage().contains("set HF_TOKEN"), e.getMessage());
  }

  @Test
  void anUnknownRevisionIs404() {
    UserError e =
        assertThrows(UserError.class, () -> download(settings(), "kitft/nla-tiny-av@nope"));
    assertTrue(e.getMessage().contains("revision 'nope' not found"), e.getMessage());
    assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
  }

  @Test
  void aRenamedRepoIsFollowedThroughItsRelativeRedirect() throws IOException {
    hub.renamed.put("kitft/old-name", "kitft/nla-tiny-av");
    HubSettings s = settings().withToken("hf_tok");
    Downloader.Result r = download(s, "kitft/old-name", "config.json", "model.safetensors");
    assertArrayEquals(CONFIG, Files.readAllBytes(r.snapshot().resolve("config.json")));
    assertTrue(r.snapshot().startsWith(s.cacheDir().resolve("models--kitft--old-name")));
    // Same host after the redirect: the token is kept.
    assertTrue(
        hub.seenBy("hub").stream()
            .filter(x -> x.path().startsWith("/kitft/nla-tiny-av/"))
            .allMatch(x -> "Bearer hf_tok".equals(x.auth())));
  }

  @Test
  void aFileWhoseEtagDiffersFromTheListingIsRefused() {
    repo.listedSha256Override = "b".repeat(64);
    UserError e =
        assertThrows(
            UserError.class, () -> download(settings(), "kitft/nla-tiny-av", "model.safetensors"));
    assertTrue(
        e.getMessage().contains("the Hub serves blob " + FakeHub.hex("SHA-256", WEIGHTS)),
        e.getMessage());
    assertTrue(e.getMessage().contains("changed during the download"), e.getMessage());
    assertTrue(hub.seenBy("cdn").isEmpty(), "refused on the Hub's headers, before the CDN");
  }

  @Test
  void notEnoughDiskSpaceIsRefusedBeforeDownloading() {
    repo.listedSizeOverride = 1L << 60; // an exabyte
    UserError e = assertThrows(UserError.class, () -> download(settings(), "kitft/nla-tiny-av"));
    assertTrue(e.getMessage().startsWith("not enough disk space in "), e.getMessage());
    assertTrue(e.getMessage().contains("HF_HUB_CACHE"), e.getMessage());
    assertTrue(hub.seenBy("cdn").isEmpty());
  }

  @Test
  void offlineRefusesToDownloadAndTouchesNoNetwork() {
    HubSettings s = settings().withOffline(true);
    UserError e = assertThrows(UserError.class, () -> download(s, "kitft/nla-tiny-av"));
    assertTrue(e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
    assertTrue(hub.seen.isEmpty());
  }

  @Test
  void modelPathsDownloadsAnUncachedRepoIdWhenOnline() throws IOException {
    HubSettings s = settings();
    Path dir = ModelPaths.resolve("kitft/nla-tiny-av", s);
    assertEquals(repoDir(s).resolve("snapshots").resolve(COMMIT), dir);
    assertArrayEquals(WEIGHTS, Files.readAllBytes(dir.resolve("model.safetensors")));
    hub.seen.clear();
    assertEquals(dir, ModelPaths.resolve("kitft/nla-tiny-av", s));
    assertTrue(hub.seen.isEmpty(), "a cached repo is resolved without the network");
  }

  @Test
  void modelPathsOfflineAndUncachedSaysHowToDownload() {
    HubSettings s = settings().withOffline(true);
    UserError e =
        assertThrows(UserError.class, () -> ModelPaths.resolve("kitft/nla-tiny-av@v1", s));
    assertTrue(e.getMessage().contains("not in the Hugging Face cache"), e.getMessage());
    assertTrue(
        e.getMessage().contains("nla download kitft/nla-tiny-av --revision v1"), e.getMessage());
    assertTrue(hub.seen.isEmpty());
  }

  @Test
  void theDownloadCommandPrintsTheSnapshotAndExitsZero() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    Path cache = tmp.resolve("cli-cache");
    int code =
        cl.execute(
            "download",
            "kitft/nla-tiny-av",
            "--include",
            "*.json",
            "--cache-dir",
            cache.toString(),
            "--endpoint",
            hub.endpoint().toString());
    assertEquals(0, code, err.toString());
    assertEquals(
        cache.resolve("models--kitft--nla-tiny-av/snapshots/" + COMMIT).toString(),
        out.toString().strip());
  }

  @Test
  void aDatasetRepoGoesToItsOwnCacheFolderAndIncludeTakesAFewShards() throws IOException {
    // Same owner/name as a model would have: the type alone tells the Hub's paths apart.
    byte[] shard0 = FakeHub.randomBytes(200_000, 10);
    byte[] shard1 = FakeHub.randomBytes(200_000, 11);
    hub.add(
        new FakeHub.FakeRepo("datasets/kitft/nla-tiny-av", V1_COMMIT)
            .file("README.md", "# a dataset\n".getBytes(StandardCharsets.UTF_8), false)
            .file("data/en/train-00000.parquet", shard0, true)
            .file("data/en/train-00001.parquet", shard1, true)
            .file("data/en/train-00002.parquet", FakeHub.randomBytes(200_000, 12), true)
            .file("data/zh/train-00000.parquet", FakeHub.randomBytes(200_000, 13), true));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    Path cache = tmp.resolve("cli-cache");
    int code =
        cl.execute(
            "download",
            "kitft/nla-tiny-av",
            "--repo-type",
            "dataset",
            "--include",
            "data/en/train-0000[01].parquet",
            "--cache-dir",
            cache.toString(),
            "--endpoint",
            hub.endpoint().toString());
    assertEquals(0, code, err.toString());
    Path snapshot = cache.resolve("datasets--kitft--nla-tiny-av/snapshots/" + V1_COMMIT);
    assertEquals(snapshot.toString(), out.toString().strip());
    try (Stream<Path> files = Files.walk(snapshot)) {
      assertEquals(
          List.of("data/en/train-00000.parquet", "data/en/train-00001.parquet"),
          files
              .filter(f -> !Files.isDirectory(f))
              .map(f -> snapshot.relativize(f).toString())
              .sorted()
              .toList());
    }
    assertArrayEquals(shard1, Files.readAllBytes(snapshot.resolve("data/en/train-00001.parquet")));
    assertFalse(Files.exists(cache.resolve("models--kitft--nla-tiny-av")));
    assertTrue(
        hub.seenBy("hub").stream()
            .allMatch(
                r ->
                    r.path().startsWith("/api/datasets/kitft/nla-tiny-av/")
                        || r.path().startsWith("/datasets/kitft/nla-tiny-av/resolve/")),
        hub.seenBy("hub").toString());
  }

  @Test
  void anUnknownRepoTypeIsAOneLineUserError() {
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err));
    int code = cl.execute("download", "kitft/nla-tiny-av", "--repo-type", "space");
    assertEquals(Main.EXIT_USER_ERROR, code);
    assertEquals(
        "nla: --repo-type: expected model or dataset, not 'space'", err.toString().strip());
  }

  @Test
  void theDownloadCommandReportsA404AsAOneLineUserError() {
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err));
    int code =
        cl.execute(
            "download",
            "kitft/nla-tiny-av",
            "--revision",
            "nope",
            "--cache-dir",
            tmp.resolve("c").toString(),
            "--endpoint",
            hub.endpoint().toString());
    assertEquals(Main.EXIT_USER_ERROR, code);
    assertTrue(
        err.toString().startsWith("nla: kitft/nla-tiny-av: revision 'nope' not found"),
        err.toString());
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }

  @Test
  void anUnreachableHubIsAUserError() {
    HubSettings s = settings();
    hub.close();
    UserError e = assertThrows(UserError.class, () -> download(s, "kitft/nla-tiny-av"));
    assertTrue(e.getMessage().contains("cannot connect to"), e.getMessage());
    UserError viaPaths =
        assertThrows(UserError.class, () -> ModelPaths.resolve("kitft/nla-tiny-av", s));
    assertTrue(viaPaths.getMessage().contains("HF_HUB_OFFLINE=1"), viaPaths.getMessage());
  }

  static long rangeStart(FakeHub.Seen request) {
    String range = request.range();
    assertTrue(range != null && range.matches("bytes=\\d+-"), String.valueOf(range));
    return Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
  }

  static Map<String, String> env(String... kv) {
    java.util.HashMap<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }
}
