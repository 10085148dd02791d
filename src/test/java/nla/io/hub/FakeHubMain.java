package nla.io.hub;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Drives the Python interop check ({@code tools/hub/python-interop.sh}): serves the fake Hub for
 * Python's huggingface_hub, downloads from it with ours, or resolves a repo id in a cache offline.
 */
final class FakeHubMain {
  static final String REPO = "kitft/nla-tiny-av";

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "serve" -> {
        try (FakeHub hub = new FakeHub()) {
          hub.add(
              new FakeHub.FakeRepo(REPO, "0123456789abcdef0123456789abcdef01234567")
                  .file(
                      "config.json",
                      "{\"model_type\": \"qwen2\"}\n".getBytes(StandardCharsets.UTF_8),
                      false)
                  .file("model.safetensors", FakeHub.randomBytes(3_000_000, 1), true)
                  .file("extra/deep/shard.bin", FakeHub.randomBytes(1_500_000, 2), true));
          System.out.println(hub.endpoint());
          System.out.flush();
          Thread.sleep(Long.parseLong(args[1]) * 1000);
        }
      }
      case "download" -> {
        HubSettings s = new HubSettings(Path.of(args[1]), URI.create(args[2]), null, false);
        new Hub(s).download(RepoId.parse(REPO), List.of(), 4, DownloadProgress.quiet());
      }
      case "resolve" -> {
        HubSettings s =
            new HubSettings(Path.of(args[1]), URI.create("http://127.0.0.1:9"), null, true);
        System.out.println(nla.io.ModelPaths.resolve(REPO, s));
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }
}
