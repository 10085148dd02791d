package nla.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * The lens page at {@code GET /} for a browser (one file in the jar, its script and style inline):
 * type a text, watch its tokens coloured by FVE as /explain streams, click one for its explanation,
 * compare two. {@code GET /} stays Neuronpedia's JSON for every client that does not ask for HTML,
 * and the page itself needs no secret key: it holds no data, and a browser cannot send a header on
 * navigation; the page sends the key the user pastes with each of its API requests.
 */
final class LensPage {
  private static final String RESOURCE = "lens-page.html";

  /**
   * The page may run its own inline script and style and talk to this server, and nothing else: no
   * other origin is reachable from it, so it works offline and cannot leak what it shows.
   */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
          + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
          + "frame-ancestors 'none'";

  private static final byte[] HTML = load();

  private LensPage() {}

  private static byte[] load() {
    try (InputStream in = LensPage.class.getResourceAsStream(RESOURCE)) {
      if (in == null)
        throw new IllegalStateException("nla/serve/" + RESOURCE + " missing from the jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether a {@code GET /} asks for the page: browsers navigating to a URL accept {@code
   * text/html}; API clients (Neuronpedia's webapp, curl, scripts) send {@code *}{@code /*} or JSON.
   */
  static boolean wanted(Request request) {
    String accept = request.getHeaders().get(HttpHeader.ACCEPT);
    return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/html");
  }

  static int send(Response response) throws IOException {
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, HTML.length);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.getHeaders().put("Referrer-Policy", "no-referrer");
    try (OutputStream out = Content.Sink.asOutputStream(response)) {
      out.write(HTML);
    }
    return 200;
  }
}
