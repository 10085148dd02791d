package nla.io.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import nla.io.ModelPaths;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Repo ids resolved against a cache laid out by hand the way huggingface-cli leaves it, with the
 * network off (HF_HUB_OFFLINE) and an endpoint nobody listens on, so any request would fail.
 */
class HubCacheResolutionTest {
  static final String MAIN = "1111111111111111111111111111111111111111";
  static final String OLD = "2222222222222222222222222222222222222222";
  static final String BLOB = "a".repeat(64);

  @TempDir Path tmp;

  /** What `huggingface-cli download kitft/nla-qwen2.5-7b-L20-av` leaves (main and a tag). */
  Path populate(Path cache) throws IOException {
    Path repo = cache.resolve("models--kitft--nla-qwen2.5-7b-L20-av");
    Files.createDirectories(repo.resolve("blobs"));
    Files.writeString(repo.resolve("blobs").resolve(BLOB), "{}");
    Files.createDirectories(repo.resolve("refs"));
    Files.writeString(repo.resolve("refs/main"), MAIN); // no newline, as huggingface_hub writes it
    Files.writeString(repo.resolve("refs/v0.1"), OLD + "\n"); // a hand-edited one, with one
    for (String commit : List.of(MAIN, OLD)) {
      Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
      Files.createSymbolicLink(snap.resolve("config.json"), Path.of("../../blobs/" + BLOB));
    }
    return repo;
  }

  HubSettings offline(Path cache) {
    return new HubSettings(cache, URI.create("http://127.0.0.1:9"), null, true);
  }

  @Test
  void aRepoIdResolvesToTheSnapshotOfRefsMain() throws IOException {
    Path cache = tmp.resolve("hub");
    Path repo = populate(cache);
    Path dir = ModelPaths.resolve("kitft/nla-qwen2.5-7b-L20-av", offline(cache));
    assertEquals(repo.resolve("snapshots").resolve(MAIN), dir);
    assertEquals("{}", Files.readString(dir.resolve("config.json")));
  }

  @Test
  void aTagOrACommitPicksItsSnapshot() throws IOException {
    Path cache = tmp.resolve("hub");
    Path repo = populate(cache);
    assertEquals(
        repo.resolve("snapshots").resolve(OLD),
        ModelPaths.resolve("kitft/nla-qwen2.5-7b-L20-av@v0.1", offline(cache)));
    assertEquals(
        repo.resolve("snapshots").resolve(OLD),
        ModelPaths.resolve("kitft/nla-qwen2.5-7b-L20-av@" + OLD, offline(cache)));
  }

  @Test
  void anUncachedRevisionOfACachedRepoIsNotFoundOffline() throws IOException {
    Path cache = tmp.resolve("hub");
    populate(cache);
    UserError e =
        assertThrows(
            UserError.class,
            () -> ModelPaths.resolve("kitft/nla-qwen2.5-7b-L20-av@dev", offline(cache)));
    assertTrue(e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
    assertTrue(
        e.getMessage().contains("nla download kitft/nla-qwen2.5-7b-L20-av --revision dev"),
        e.getMessage());
  }

  @Test
  void anExistingLocalDirectoryWinsOverTheSameRepoId() throws IOException {
    // Tests run in the project root, so target/<name> is a relative path that also parses as
    // owner/name.
    Path local = Files.createDirectories(Path.of("target", "hub-test-local-dir"));
    Path cache = tmp.resolve("hub");
    Files.createDirectories(
        cache.resolve("models--target--hub-test-local-dir/snapshots").resolve(MAIN));
    Files.createDirectories(cache.resolve("models--target--hub-test-local-dir/refs"));
    Files.writeString(cache.resolve("models--target--hub-test-local-dir/refs/main"), MAIN);
    assertEquals(local, ModelPaths.resolve("target/hub-test-local-dir", offline(cache)));
  }

  @Test
  void somethingThatIsNeitherADirectoryNorARepoIdSaysSo() {
    UserError e =
        assertThrows(UserError.class, () -> ModelPaths.resolve("./no/such/dir", offline(tmp)));
    assertTrue(e.getMessage().startsWith("./no/such/dir: no such model directory"), e.getMessage());
    assertThrows(UserError.class, () -> ModelPaths.resolve("a/b/c", offline(tmp)));
  }

  @Test
  void repoIdsParseAsTheHubAllows() {
    RepoId r = RepoId.parse("kitft/nla-gemma3-12b-L32-av@refs/pr/3");
    assertEquals("kitft", r.owner());
    assertEquals("nla-gemma3-12b-L32-av", r.name());
    assertEquals("refs/pr/3", r.revision());
    assertEquals("models--kitft--nla-gemma3-12b-L32-av", r.cacheFolderName());
    assertEquals("main", RepoId.parse("Qwen/Qwen2.5-7B-Instruct").revision());
    for (String bad :
        List.of("gpt2", "a/b/c", "a--b/c", "a/b..c", "-a/b", "a/b@", "a/b@../x", "/a/b", "a/")) {
      assertFalse(RepoId.tryParse(bad).isPresent(), bad);
    }
  }

  @Test
  void aRevisionMayNotEscapeTheRefsFolder() throws IOException {
    Path cache = tmp.resolve("hub");
    populate(cache);
    HubCache c = new HubCache(cache);
    RepoId r = new RepoId("kitft", "nla-qwen2.5-7b-L20-av", "main");
    assertThrows(UserError.class, () -> c.pointer(r, MAIN, "../../../etc/passwd"));
    assertThrows(UserError.class, () -> c.blob(r, "../x"));
  }

  // ---- environment, as huggingface_hub's constants.py reads it ----

  static HubSettings from(Path home, String... kv) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
    return HubSettings.from(env, home);
  }

  @Test
  void theCacheDirectoryFollowsHuggingfaceHubPrecedence() {
    Path home = Path.of("/home/u");
    assertEquals(Path.of("/home/u/.cache/huggingface/hub"), from(home).cacheDir());
    assertEquals(Path.of("/x/huggingface/hub"), from(home, "XDG_CACHE_HOME", "/x").cacheDir());
    assertEquals(Path.of("/h/hub"), from(home, "XDG_CACHE_HOME", "/x", "HF_HOME", "/h").cacheDir());
    assertEquals(
        Path.of("/legacy"),
        from(home, "HF_HOME", "/h", "HUGGINGFACE_HUB_CACHE", "/legacy").cacheDir());
    assertEquals(
        Path.of("/c"),
        from(home, "HF_HOME", "/h", "HUGGINGFACE_HUB_CACHE", "/legacy", "HF_HUB_CACHE", "/c")
            .cacheDir());
    assertEquals(Path.of("/home/u/models"), from(home, "HF_HUB_CACHE", "~/models").cacheDir());
  }

  @Test
  void endpointOfflineAndTokenComeFromTheEnvironment() throws IOException {
    Path home = tmp;
    HubSettings plain = from(home);
    assertEquals(URI.create("https://huggingface.co"), plain.endpoint());
    assertFalse(plain.offline());
    assertEquals(null, plain.token());
    assertEquals(
        URI.create("https://hf-mirror.com"),
        from(home, "HF_ENDPOINT", "https://hf-mirror.com/").endpoint());
    for (String yes : List.of("1", "true", "ON", "yes"))
      assertTrue(from(home, "HF_HUB_OFFLINE", yes).offline(), yes);
    assertFalse(from(home, "HF_HUB_OFFLINE", "0").offline());
    assertTrue(from(home, "TRANSFORMERS_OFFLINE", "1").offline());

    // The token file huggingface-cli login writes, under HF_HOME.
    Path hfHome = Files.createDirectories(tmp.resolve("hfhome"));
    Files.writeString(hfHome.resolve("token"), "hf_fromfile\n", StandardCharsets.UTF_8);
    assertEquals("hf_fromfile", from(home, "HF_HOME", hfHome.toString()).token());
    assertEquals(
        "hf_env", from(home, "HF_HOME", hfHome.toString(), "HF_TOKEN", " hf_env ").token());
    assertEquals(
        "hf_old",
        from(home, "HF_HOME", hfHome.toString(), "HUGGING_FACE_HUB_TOKEN", "hf_old").token());
    Path elsewhere = tmp.resolve("tok");
    Files.writeString(elsewhere, "hf_path");
    assertEquals("hf_path", from(home, "HF_TOKEN_PATH", elsewhere.toString()).token());
    assertFalse(plain.toString().contains("hf_"), "settings never print the token");
  }

  @Test
  void includeGlobsHaveFnmatchSemantics() {
    Glob g = new Glob(List.of("*.json"));
    assertTrue(g.matches("config.json"));
    assertTrue(g.matches("sub/dir/config.json"), "'*' crosses '/' in fnmatch");
    assertFalse(g.matches("model.safetensors"));
    assertTrue(new Glob(List.of("onnx/")).matches("onnx/model.onnx"), "a folder pattern");
    assertTrue(
        new Glob(List.of("model-0000?-of-00002.safetensors"))
            .matches("model-00001-of-00002.safetensors"));
    assertTrue(new Glob(List.of("[!m]*")).matches("config.json"));
    assertFalse(new Glob(List.of("[!m]*")).matches("model.safetensors"));
    assertTrue(
        new Glob(List.of("a+b(c).txt")).matches("a+b(c).txt"), "regex characters are literal");
    assertTrue(new Glob(List.of()).matches("anything"));
  }
}
