package nla.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import nla.io.UserError;

/**
 * Talks to a Hugging Face Hub (or a mirror) over HTTP: the repository listing API and the {@code
 * resolve} URLs files are fetched from. Redirects are followed here rather than by the HTTP client,
 * because the Hub answers a file request with a redirect whose headers carry the file's identity
 * ({@code X-Linked-Etag}, {@code X-Linked-Size}, {@code X-Repo-Commit}), and because the token must
 * not travel to the CDN an LFS file is redirected to (the CDN URL is pre-signed).
 */
public final class HubClient {
  private static final int MAX_REDIRECTS = 10;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HubSettings settings;
  private final HttpClient http;

  public HubClient(HubSettings settings) {
    this(
        settings,
        HttpClient.newBuilder()
            // HTTP/1.1: parallel downloads then get a connection each; over one HTTP/2 connection
            // they would share a single TCP window.
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(20))
            .build());
  }

  HubClient(HubSettings settings, HttpClient http) {
    this.settings = settings;
    this.http = http;
  }

  public HubSettings settings() {
    return settings;
  }

  /**
   * The files of {@code repo} at its revision, with the commit that revision resolves to: {@code
   * GET /api/models/OWNER/NAME/revision/REV?blobs=true} (huggingface_hub's {@code
   * model_info(files_metadata=True)}; {@code /api/datasets/...} for a dataset), whose siblings
   * carry sizes, blob ids and LFS sha256s.
   */
  public RepoListing listing(RepoId repo) {
    URI uri =
        URI.create(
            settings.endpoint()
                + repo.apiPath()
                + "/revision/"
                + encode(repo.revision())
                + "?blobs=true");
    Fetched fetched = get(uri, -1, repo);
    HttpResponse<InputStream> r = fetched.response();
    JsonNode root;
    try (InputStream body = r.body()) {
      if (r.statusCode() != 200) throw error(repo, null, r, body);
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw new UserError(
          repo.id() + ": reading the file listing from " + uri + " failed: " + e.getMessage(), e);
    }
    String commit = root.path("sha").asText(null);
    if (!RepoId.isCommitHash(commit)) {
      throw new UserError(
          repo.id() + ": the listing from " + uri + " has no commit hash ('sha'); is it a Hub?");
    }
    List<RepoFile> files = new ArrayList<>();
    for (JsonNode sibling : root.path("siblings")) {
      String path = sibling.path("rfilename").asText(null);
      if (path == null) continue;
      JsonNode lfs = sibling.get("lfs");
      if (lfs != null && lfs.isObject()) {
        String sha256 = lfs.path("sha256").asText(lfs.path("oid").asText(null));
        long size = lfs.path("size").asLong(sibling.path("size").asLong(-1));
        files.add(new RepoFile(path, size, sha256, sha256));
      } else {
        files.add(
            new RepoFile(
                path, sibling.path("size").asLong(-1), sibling.path("blobId").asText(null), null));
      }
    }
    return new RepoListing(repo, commit, files);
  }

  /**
   * The URL a file of a commit is downloaded from: {@code ENDPOINT/OWNER/NAME/resolve/COMMIT/PATH}
   * ({@code ENDPOINT/datasets/OWNER/NAME/...} for a dataset).
   */
  public URI resolveUrl(RepoId repo, String commit, String path) {
    StringBuilder b = new StringBuilder();
    b.append(settings.endpoint()).append(repo.urlPath()).append("/resolve/").append(commit);
    for (String segment : path.split("/", -1)) b.append('/').append(encode(segment));
    return URI.create(b.toString());
  }

  /** A response after redirects, with the headers of the first answer (the Hub's own). */
  public record Fetched(HttpResponse<InputStream> response, HttpHeaders hubHeaders) {}

  /**
   * GETs {@code uri}, following redirects, from byte {@code rangeStart} on when it is positive. The
   * token goes only to the host the request started at.
   */
  public Fetched get(URI uri, long rangeStart, RepoId repo) {
    return get(uri, rangeStart, repo, null);
  }

  /**
   * As {@link #get(URI, long, RepoId)}, handing the first answer's headers (the Hub's, naming the
   * file) to {@code checkHubAnswer} before any redirect is followed; it throws to stop there.
   */
  public Fetched get(
      URI uri,
      long rangeStart,
      RepoId repo,
      java.util.function.Consumer<HttpHeaders> checkHubAnswer) {
    URI current = uri;
    HttpHeaders first = null;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(current)
              .timeout(Duration.ofSeconds(60))
              .header("User-Agent", userAgent())
              // The real size and a byte-exact body: no transparent compression.
              .header("Accept-Encoding", "identity")
              .GET();
      if (rangeStart > 0) request.header("Range", "bytes=" + rangeStart + "-");
      if (settings.token() != null && sameOrigin(current, uri)) {
        request.header("Authorization", "Bearer " + settings.token());
      }
      HttpResponse<InputStream> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (ConnectException e) {
        throw new HubUnreachable(
            "cannot connect to "
                + current.getScheme()
                + "://"
                + current.getAuthority()
                + " ("
                + describe(e)
                + ")",
            e);
      } catch (HttpTimeoutException e) {
        throw new HubUnreachable("no answer from " + current.getAuthority() + " in time", e);
      } catch (IOException e) {
        throw new HubUnreachable(
            "request to " + current.getAuthority() + " failed: " + describe(e), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new HubUnreachable("interrupted", e);
      }
      if (first == null) {
        first = response.headers();
        if (checkHubAnswer != null) {
          try {
            checkHubAnswer.accept(first);
          } catch (RuntimeException e) {
            closeQuietly(response.body());
            throw e;
          }
        }
      }
      int status = response.statusCode();
      if (status / 100 != 3 || status == 304) return new Fetched(response, first);
      String location = response.headers().firstValue("Location").orElse(null);
      closeQuietly(response.body());
      if (location == null) {
        throw new UserError(
            repo.id() + ": " + current + " answered HTTP " + status + " without a Location");
      }
      current = current.resolve(location);
    }
    throw new UserError(repo.id() + ": more than " + MAX_REDIRECTS + " redirects from " + uri);
  }

  /** A network failure before any answer: the Hub is unreachable (or the network is down). */
  public static final class HubUnreachable extends UserError {
    HubUnreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The one-line message for an HTTP error from the Hub, following the Hub's {@code X-Error-Code}
   * header the way huggingface_hub's {@code hf_raise_for_status} reads it.
   */
  public UserError error(RepoId repo, String path, HttpResponse<?> r, InputStream body) {
    closeQuietly(body);
    int status = r.statusCode();
    String code = r.headers().firstValue("X-Error-Code").orElse("");
    String serverMessage = r.headers().firstValue("X-Error-Message").orElse("");
    String repoUrl = settings.endpoint() + repo.urlPath();
    String what = path == null ? repo.id() : repo.id() + ": " + path;
    String tokenAdvice =
        settings.hasToken()
            ? "the token in use (HF_TOKEN or the huggingface-cli login token) has no access to it"
            : "no token is set: set HF_TOKEN to a read token from "
                + settings.endpoint()
                + "/settings/tokens";
    if (code.equals("GatedRepo") || (status == 403 && !code.equals("RepoNotFound"))) {
      if (code.equals("GatedRepo")) {
        return new UserError(
            what
                + ": gated repository (HTTP "
                + status
                + "): accept its license at "
                + repoUrl
                + " while logged in, then set HF_TOKEN to a read token of that account ("
                + (settings.hasToken() ? "the current token has no access yet" : "no token is set")
                + ")");
      }
      return new UserError(
          what
              + ": access denied (HTTP 403"
              + (serverMessage.isEmpty() ? "" : ": " + serverMessage)
              + "); if the repository is gated, accept its license at "
              + repoUrl
              + " and set HF_TOKEN to a read token of that account");
    }
    if (code.equals("RevisionNotFound")) {
      return new UserError(
          repo.id()
              + ": revision '"
              + repo.revision()
              + "' not found on "
              + settings.endpoint()
              + " (HTTP "
              + status
              + ")");
    }
    if (code.equals("EntryNotFound")) {
      return new UserError(what + ": no such file in the repository (HTTP " + status + ")");
    }
    if (status == 401 && serverMessage.equals("Invalid credentials in Authorization header")) {
      return new UserError(
          what
              + ": the Hub rejected the token (HTTP 401: invalid credentials); check HF_TOKEN or run"
              + " huggingface-cli login again");
    }
    if (status == 401 || status == 404 || code.equals("RepoNotFound")) {
      return new UserError(
          what
              + ": repository not found on "
              + settings.endpoint()
              + " (HTTP "
              + status
              + "); check the name, or, if it is private or gated, "
              + tokenAdvice);
    }
    if (status == 429) {
      return new UserError(what + ": the Hub is rate-limiting requests (HTTP 429); retry later");
    }
    return new UserError(
        what
            + ": the Hub answered HTTP "
            + status
            + (serverMessage.isEmpty() ? "" : " (" + serverMessage + ")")
            + " for "
            + r.uri());
  }

  static boolean sameOrigin(URI a, URI b) {
    return Objects.equals(a.getScheme(), b.getScheme())
        && Objects.equals(a.getHost(), b.getHost())
        && a.getPort() == b.getPort();
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  private static String userAgent() {
    String v = HubClient.class.getPackage().getImplementationVersion();
    return "nla/" + (v == null ? "dev" : v) + "; java/" + Runtime.version().feature();
  }

  static void closeQuietly(InputStream in) {
    if (in == null) return;
    try {
      in.close();
    } catch (IOException ignored) {
      // closing a response body we are discarding: nothing to recover
    }
  }
}
