package nla.io.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback stand-in for the Hugging Face Hub, serving repositories the way the Hub does: the
 * listing API ({@code /api/models/OWNER/NAME/revision/REV?blobs=true}), {@code
 * /OWNER/NAME/resolve/REV/PATH} answering plain files directly (ETag = git blob sha1) and LFS files
 * with a 302 to a second server standing for the CDN (X-Linked-Etag = sha256, X-Linked-Size),
 * X-Repo-Commit everywhere, X-Error-Code on errors, byte ranges, and renamed repositories that
 * redirect to their new path. Faults on demand: a connection dropped mid-file, a stall, a server
 * that ignores ranges, corrupt bytes.
 */
final class FakeHub implements AutoCloseable {
  record FakeFile(String path, byte[] content, boolean lfs) {
    String sha256() {
      return hex("SHA-256", content);
    }

    String gitSha1() {
      byte[] header = ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII);
      byte[] all = new byte[header.length + content.length];
      System.arraycopy(header, 0, all, 0, header.length);
      System.arraycopy(content, 0, all, header.length, content.length);
      return hex("SHA-1", all);
    }

    String etag() {
      return lfs ? sha256() : gitSha1();
    }
  }

  static final class FakeRepo {
    final String id;
    final Map<String, String> refs = new LinkedHashMap<>(); // revision -> commit
    final Map<String, FakeFile> files = new LinkedHashMap<>();
    String gatedToken; // non-null: gated, only this token has accepted the license
    String privateToken; // non-null: private, only this token sees it
    long listedSizeOverride = -1; // the listing claims this size for LFS files
    String listedSha256Override; // the listing claims this sha256 for LFS files (a stale listing)

    FakeRepo(String id, String commit) {
      this.id = id;
      refs.put("main", commit);
    }

    FakeRepo file(String path, byte[] content, boolean lfs) {
      files.put(path, new FakeFile(path, content, lfs));
      return this;
    }

    String commit() {
      return refs.get("main");
    }
  }

  /** A request as the servers saw it. */
  record Seen(String server, String method, String path, String query, String range, String auth) {}

  private static final String CDN_HOST = "localhost";
  private static final Pattern API =
      Pattern.compile("/api/(models|datasets)/([^/]+/[^/]+)/revision/(.+)");
  private static final Pattern RESOLVE =
      Pattern.compile("/((?:datasets/)?[^/]+/[^/]+)/resolve/([^/]+)/(.+)");
  private static final Pattern CDN = Pattern.compile("/lfs-blobs/([0-9a-f]{64})");

  final Map<String, FakeRepo> repos = new ConcurrentHashMap<>();
  final Map<String, String> renamed = new ConcurrentHashMap<>(); // old id -> new id
  final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());

  /** etag -> byte count after which the next transfer of that blob drops the connection. */
  final Map<String, Long> dropOnce = new ConcurrentHashMap<>();

  /** etag -> byte count after which the next transfer of that blob stalls until close(). */
  final Map<String, Long> stallOnce = new ConcurrentHashMap<>();

  /** etags whose bytes are served with one byte flipped. */
  final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();

  volatile boolean ignoreRanges;

  private final HttpServer hub;
  private final HttpServer cdn;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final CountDownLatch closing = new CountDownLatch(1);

  FakeHub() throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
    // The CDN is another host name, as on the real Hub (clients treat a same-host redirect as the
    // Hub's own and follow it with the token); "localhost" is bound where this JVM resolves it.
    cdn = HttpServer.create(new InetSocketAddress(InetAddress.getByName(CDN_HOST), 0), 0);
    hub.createContext("/", this::handleHub);
    cdn.createContext("/", this::handleCdn);
    hub.setExecutor(pool);
    cdn.setExecutor(pool);
    hub.start();
    cdn.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
  }

  FakeRepo add(FakeRepo repo) {
    repos.put(repo.id, repo);
    return repo;
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  List<Seen> seenBy(String server) {
    synchronized (seen) {
      return seen.stream().filter(s -> s.server().equals(server)).toList();
    }
  }

  @Override
  public void close() {
    closing.countDown();
    hub.stop(0);
    cdn.stop(0);
    pool.shutdownNow();
  }

  private void record(String server, HttpExchange ex) {
    seen.add(
        new Seen(
            server,
            ex.getRequestMethod(),
            ex.getRequestURI().getRawPath(),
            ex.getRequestURI().getRawQuery(),
            ex.getRequestHeaders().getFirst("Range"),
            ex.getRequestHeaders().getFirst("Authorization")));
  }

  private void handleHub(HttpExchange ex) throws IOException {
    record("hub", ex);
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String token = bearer(ex);
      Matcher api = API.matcher(path);
      Matcher resolve = RESOLVE.matcher(path);
      String id;
      // A dataset is registered as "datasets/owner/name", as its files' URLs spell it.
      if (api.matches()) id = (api.group(1).equals("datasets") ? "datasets/" : "") + api.group(2);
      else if (resolve.matches()) id = resolve.group(1);
      else {
        error(ex, 404, null, null);
        return;
      }
      if (renamed.containsKey(id)) {
        // A renamed repository: a relative redirect to the same request under the new name.
        String moved =
            ex.getRequestURI()
                .getRawPath()
                .replaceFirst("/" + Pattern.quote(id) + "/", "/" + renamed.get(id) + "/");
        String query = ex.getRequestURI().getRawQuery();
        ex.getResponseHeaders().add("Location", moved + (query == null ? "" : "?" + query));
        ex.sendResponseHeaders(307, -1);
        return;
      }
      FakeRepo repo = repos.get(id);
      if (repo == null || (repo.privateToken != null && !repo.privateToken.equals(token))) {
        // The Hub says 401 RepoNotFound both for missing and for private repos.
        error(ex, 401, "RepoNotFound", "Repository not found");
        return;
      }
      if (repo.gatedToken != null && !repo.gatedToken.equals(token) && resolve.matches()) {
        error(
            ex, token == null ? 401 : 403, "GatedRepo", "Access to model " + id + " is restricted");
        return;
      }
      String revision = api.matches() ? decode(api.group(3)) : decode(resolve.group(2));
      String commit = repo.refs.containsValue(revision) ? revision : repo.refs.get(revision);
      if (commit == null) {
        error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
        return;
      }
      ex.getResponseHeaders().add("X-Repo-Commit", commit);
      if (api.matches()) {
        listing(ex, repo, commit);
        return;
      }
      FakeFile file = repo.files.get(decode(resolve.group(3)));
      if (file == null) {
        error(ex, 404, "EntryNotFound", "Entry not found");
        return;
      }
      if (file.lfs()) {
        ex.getResponseHeaders().add("ETag", "\"" + file.gitSha1().substring(0, 40) + "\"");
        ex.getResponseHeaders().add("X-Linked-Etag", "\"" + file.sha256() + "\"");
        ex.getResponseHeaders().add("X-Linked-Size", Long.toString(file.content().length));
        ex.getResponseHeaders()
            .add(
                "Location",
                "http://"
                    + CDN_HOST
                    + ":"
                    + cdn.getAddress().getPort()
                    + "/lfs-blobs/"
                    + file.sha256()
                    + "?X-Amz-Signature=fake");
        ex.sendResponseHeaders(302, -1);
        return;
      }
      ex.getResponseHeaders().add("ETag", "\"" + file.gitSha1() + "\"");
      serveBytes(ex, file);
    }
  }

  private void handleCdn(HttpExchange ex) throws IOException {
    record("cdn", ex);
    try (ex) {
      Matcher m = CDN.matcher(ex.getRequestURI().getPath());
      FakeFile file = null;
      if (m.matches()) {
        for (FakeRepo repo : repos.values()) {
          for (FakeFile f : repo.files.values()) {
            if (f.lfs() && f.sha256().equals(m.group(1))) file = f;
          }
        }
      }
      if (file == null) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      serveBytes(ex, file);
    }
  }

  private void listing(HttpExchange ex, FakeRepo repo, String commit) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("id", repo.id);
    root.put("sha", commit);
    ArrayNode siblings = root.putArray("siblings");
    for (FakeFile f : repo.files.values()) {
      ObjectNode s = siblings.addObject();
      s.put("rfilename", f.path());
      long size =
          f.lfs() && repo.listedSizeOverride >= 0 ? repo.listedSizeOverride : f.content().length;
      if (f.lfs()) {
        s.put("size", size);
        s.put("blobId", f.gitSha1());
        ObjectNode lfs = s.putObject("lfs");
        lfs.put(
            "sha256", repo.listedSha256Override != null ? repo.listedSha256Override : f.sha256());
        lfs.put("size", size);
        lfs.put("pointerSize", 134);
      } else {
        s.put("size", size);
        s.put("blobId", f.gitSha1());
      }
    }
    byte[] body = json.writeValueAsBytes(root);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    ex.getResponseBody().write(body);
  }

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

  private void serveBytes(HttpExchange ex, FakeFile file) throws IOException {
    byte[] content = file.content().clone();
    String etag = file.etag();
    if (corrupt.containsKey(etag)) content[content.length / 2] ^= 1;
    long start = 0;
    long end = content.length - 1;
    String range = ex.getRequestHeaders().getFirst("Range");
    int status = 200;
    if (range != null && !ignoreRanges) {
      Matcher m = RANGE.matcher(range);
      if (m.matches()) {
        start = Long.parseLong(m.group(1));
        if (!m.group(2).isEmpty()) end = Math.min(end, Long.parseLong(m.group(2)));
        if (start >= content.length) {
          ex.getResponseHeaders().add("Content-Range", "bytes */" + content.length);
          ex.sendResponseHeaders(416, -1);
          return;
        }
        status = 206;
        ex.getResponseHeaders()
            .add("Content-Range", "bytes " + start + "-" + end + "/" + content.length);
      }
    }
    ex.getResponseHeaders().add("Accept-Ranges", "bytes");
    long length = end - start + 1;
    ex.sendResponseHeaders(status, length);
    OutputStream out = ex.getResponseBody();
    Long dropAt = dropOnce.remove(etag);
    Long stallAt = stallOnce.remove(etag);
    Long cutAt = dropAt != null ? dropAt : stallAt;
    if (cutAt != null && cutAt > start && cutAt < end + 1) {
      out.write(content, (int) start, (int) (cutAt - start));
      out.flush();
      if (stallAt != null) {
        try {
          closing.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      // Throwing from a handler makes the server close the connection: the client sees the body
      // end before Content-Length bytes, like a dropped connection.
      throw new IOException("fake Hub drops the connection at byte " + cutAt);
    }
    out.write(content, (int) start, (int) length);
  }

  private static void error(HttpExchange ex, int status, String code, String message)
      throws IOException {
    if (code != null) ex.getResponseHeaders().add("X-Error-Code", code);
    if (message != null) ex.getResponseHeaders().add("X-Error-Message", message);
    byte[] body = ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
  }

  private static String bearer(HttpExchange ex) {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    return auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : null;
  }

  private static String decode(String s) {
    return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  static String hex(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
