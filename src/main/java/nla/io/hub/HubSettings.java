package nla.io.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where the Hub cache is, which Hub to talk to, with which token, and whether to talk at all: read
 * from the same environment variables, with the same precedence, as Python's {@code
 * huggingface_hub} (its {@code constants.py} and {@code utils/_auth.py}), so both share one cache
 * and one login.
 *
 * @param cacheDir the hub cache: {@code $HF_HUB_CACHE}, else {@code $HUGGINGFACE_HUB_CACHE}, else
 *     {@code $HF_HOME/hub}, with {@code HF_HOME} defaulting to {@code $XDG_CACHE_HOME/huggingface}
 *     or {@code ~/.cache/huggingface}
 * @param endpoint {@code $HF_ENDPOINT} (a mirror or another Hub), else https://huggingface.co
 * @param token {@code $HF_TOKEN}, else {@code $HUGGING_FACE_HUB_TOKEN}, else the token file ({@code
 *     $HF_TOKEN_PATH}, else {@code $HF_HOME/token}, written by {@code huggingface-cli login}); null
 *     when there is none
 * @param offline {@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) set to 1/ON/YES/TRUE
 */
public record HubSettings(Path cacheDir, URI endpoint, String token, boolean offline) {
  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
  private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

  public HubSettings {
    String e = endpoint.toString();
    while (e.endsWith("/")) e = e.substring(0, e.length() - 1);
    endpoint = URI.create(e);
  }

  /** The settings of this process's environment. */
  public static HubSettings fromEnvironment() {
    return from(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** The settings an environment {@code env} gives, {@code home} standing for {@code ~}. */
  public static HubSettings from(Map<String, String> env, Path home) {
    Path hfHome =
        expand(
            env.get("HF_HOME"),
            home,
            expand(env.get("XDG_CACHE_HOME"), home, home.resolve(".cache")).resolve("huggingface"));
    Path cache =
        expand(
            env.get("HF_HUB_CACHE"),
            home,
            expand(env.get("HUGGINGFACE_HUB_CACHE"), home, hfHome.resolve("hub")));
    String endpointText = env.getOrDefault("HF_ENDPOINT", DEFAULT_ENDPOINT);
    URI endpoint;
    try {
      endpoint = URI.create(endpointText.strip());
      if (endpoint.getScheme() == null || endpoint.getHost() == null)
        throw new IllegalArgumentException();
    } catch (IllegalArgumentException e) {
      throw new nla.io.UserError("HF_ENDPOINT=" + endpointText + ": not an http(s) URL");
    }
    String token = clean(env.get("HF_TOKEN"));
    if (token == null) token = clean(env.get("HUGGING_FACE_HUB_TOKEN"));
    if (token == null) {
      Path tokenFile = expand(env.get("HF_TOKEN_PATH"), home, hfHome.resolve("token"));
      token = readTokenFile(tokenFile);
    }
    String offlineText = env.get("HF_HUB_OFFLINE");
    if (offlineText == null || offlineText.isEmpty()) offlineText = env.get("TRANSFORMERS_OFFLINE");
    boolean offline =
        offlineText != null && TRUE_VALUES.contains(offlineText.strip().toUpperCase(Locale.ROOT));
    return new HubSettings(cache, endpoint, token, offline);
  }

  public HubSettings withCacheDir(Path dir) {
    return new HubSettings(dir, endpoint, token, offline);
  }

  public HubSettings withEndpoint(URI newEndpoint) {
    return new HubSettings(cacheDir, newEndpoint, token, offline);
  }

  public HubSettings withToken(String newToken) {
    return new HubSettings(cacheDir, endpoint, clean(newToken), offline);
  }

  public HubSettings withOffline(boolean newOffline) {
    return new HubSettings(cacheDir, endpoint, token, newOffline);
  }

  public boolean hasToken() {
    return token != null;
  }

  @Override
  public String toString() {
    // Never print the token.
    return "HubSettings[cacheDir=%s, endpoint=%s, token=%s, offline=%s]"
        .formatted(cacheDir, endpoint, token == null ? "none" : "set", offline);
  }

  private static Path expand(String value, Path home, Path fallback) {
    if (value == null || value.isEmpty()) return fallback;
    if (value.equals("~")) return home;
    if (value.startsWith("~/")) return home.resolve(value.substring(2));
    return Path.of(value);
  }

  private static String readTokenFile(Path file) {
    if (!Files.isRegularFile(file)) return null;
    try {
      return clean(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new nla.io.UserError(
          file + ": cannot read the Hugging Face token file: " + e.getMessage(), e);
    }
  }

  // As huggingface_hub's _clean_token: drop line breaks and surrounding blanks; empty means none.
  private static String clean(String token) {
    if (token == null) return null;
    String t = token.replace("\r", "").replace("\n", "").strip();
    return t.isEmpty() ? null : t;
  }
}
