package nla.serve;

import static nla.serve.ServeEndToEndTest.MAPPER;
import static nla.serve.ServeEndToEndTest.get;
import static nla.serve.ServeEndToEndTest.ok;
import static nla.serve.ServeEndToEndTest.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import nla.GoldenFixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The lens page at {@code GET /} in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}, driven by Selenium), on {@code nla serve} over the bundled demo pair: a typed
 * sentence's tokens are coloured by the FVE {@code nla lens} computes, a clicked token shows the
 * explanation {@code /explain} gives, the comparison shows what {@code /score} and {@code /compare}
 * give, and with a secret key the page works once the key is pasted. Set {@code
 * -Dnla.serve.screenshot=PATH} to keep the screenshot (docs/serve-page.png is made that way).
 */
class ServePageTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final String TEXT =
      "The lighthouse keeper climbed the spiral stairs each evening at dusk.";
  static final int MAX_NEW_TOKENS = 24;
  static final Duration PATIENCE = Duration.ofSeconds(120);

  static Path av;
  static Path ar;

  @TempDir Path tmp;
  NlaServer server;
  WebDriver browser;
  final ByteArrayOutputStream log = new ByteArrayOutputStream();

  @BeforeAll
  static void models() {
    av = GoldenFixtures.demoDir("av");
    ar = GoldenFixtures.demoDir("ar");
  }

  @AfterEach
  void stop() {
    if (browser != null) browser.quit();
    if (server != null) server.close();
  }

  private NlaServer serve(String secret) {
    NlaServer.Options o =
        new NlaServer.Options("127.0.0.1", 0, 2, 16, 16384, secret, 1 << 20, 5000);
    NlaServer s =
        new NlaServer(
                o,
                new NlaServer.Names(av.toString(), av.toString(), ar.toString()),
                new PrintStream(log, true, StandardCharsets.UTF_8))
            .start();
    s.ready(Engine.open(av, av, ar));
    return s;
  }

  /**
   * Chromium through the system's chromedriver, both named by path so that Selenium Manager has
   * nothing to look up or download.
   */
  private WebDriver browser() throws Exception {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      fail(
          CHROMIUM
              + " and "
              + CHROMEDRIVER
              + " are needed (Debian packages chromium and chromium-driver): run ./test once, which"
              + " installs them");
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // The console, for assertNoScriptErrors.
    options.setCapability("goog:loggingPrefs", java.util.Map.of(LogType.BROWSER, "ALL"));
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
        "--hide-scrollbars",
        "--user-data-dir=" + Files.createTempDirectory(tmp, "chromium-profile"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogOutput(
                new PrintStream(
                    Files.newOutputStream(tmp.resolve("chromedriver.log")),
                    true,
                    StandardCharsets.UTF_8))
            .build();
    return new ChromeDriver(service, options);
  }

  private String url() {
    return "http://127.0.0.1:" + server.port() + "/";
  }

  private WebElement el(String id) {
    return browser.findElement(By.id(id));
  }

  private void until(String what, java.util.function.Function<WebDriver, Boolean> condition) {
    try {
      new WebDriverWait(browser, PATIENCE).until(condition);
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError(
          "waited "
              + PATIENCE.toSeconds()
              + " s for "
              + what
              + "; status: "
              + el("status").getText()
              + "; progress: "
              + el("progress").getText()
              + "; error: "
              + el("error").getText()
              + "\nserver log:\n"
              + log.toString(StandardCharsets.UTF_8),
          e);
    }
  }

  /**
   * The page's console has no error beyond the refused requests a test provokes (Chromium logs each
   * 4xx a fetch gets as "Failed to load resource"); returns those refusals.
   */
  private List<String> assertNoScriptErrors() {
    List<String> severe =
        browser.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
            .map(LogEntry::getMessage)
            .toList();
    List<String> errors =
        severe.stream().filter(m -> !m.contains("Failed to load resource")).toList();
    assertEquals(List.of(), errors, "console errors");
    return severe;
  }

  private List<WebElement> tokens() {
    return browser.findElements(By.cssSelector("#tokens .tok"));
  }

  /**
   * Every token shown is explained and scored, read in one script so that a run replacing the
   * tokens meanwhile cannot leave the check holding a removed one.
   */
  private boolean allExplained() {
    return Boolean.TRUE.equals(
        ((JavascriptExecutor) browser)
            .executeScript(
                "const t = [...document.querySelectorAll('#tokens .tok')];"
                    + " return t.length > 0 && t.every(e => e.dataset.state === 'scored')"));
  }

  private void type(String id, String text) {
    WebElement e = el(id);
    e.clear();
    e.sendKeys(text);
  }

  private WebElement token(int position) {
    return browser.findElement(By.cssSelector("#tokens .tok[data-position='" + position + "']"));
  }

  /**
   * The lens on the same text and sampling as the page: one JSON object per position of {@code
   * positions} (all, last or a list, as {@code nla lens --positions} takes them).
   */
  private List<JsonNode> lens(String text, String positions, int maxNewTokens) {
    return ServeEndToEndTest.lens(
        av, ar, text, maxNewTokens, "--positions", positions, "--temperature", "0");
  }

  private static ObjectNode sampling() {
    ObjectNode req = MAPPER.createObjectNode();
    req.put("temperature", 0);
    req.put("seed", 0);
    req.put("max_new_tokens", MAX_NEW_TOKENS);
    return req;
  }

  private static ArrayNode vector(JsonNode extracted, int position) {
    return (ArrayNode) extracted.at("/tokens/" + position + "/activation");
  }

  @Test
  void aTypedSentenceIsColouredByFveAndAClickedTokenShowsWhatTheApiGives() throws Exception {
    server = serve(null);
    // /explain is held at its gate until the page has shown the tokens: the page must stay usable
    // while the stream has not delivered anything yet.
    CountDownLatch release = new CountDownLatch(1);
    server.beforeWork =
        endpoint -> {
          if (!endpoint.equals("/explain")) return;
          try {
            release.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    browser = browser();
    browser.get(url());
    until("the server to be ready", d -> el("status").getText().equals("ready"));
    assertTrue(el("model").getText().contains("layer 1"), el("model").getText());
    type("text", TEXT);
    type("max-new-tokens", String.valueOf(MAX_NEW_TOKENS));
    el("run").click();

    JsonNode tokenized =
        ok(post(server, "/tokenize", "{\"text\": " + MAPPER.valueToTree(TEXT) + "}"));
    int n = tokenized.get("prompt_length").asInt();
    until(
        "the tokens, not yet explained",
        d -> tokens().size() == n && el("progress").getText().contains("waiting"));
    for (int i = 0; i < n; i++) {
      assertEquals("pending", tokens().get(i).getDomAttribute("data-state"));
      assertEquals(tokenized.at("/tokens/" + i + "/token").asText(), tokens().get(i).getText());
    }
    int clicked = 11;
    token(clicked).click();
    assertTrue(
        el("detail-explanation").getText().startsWith("not explained yet"),
        el("detail-explanation").getText());
    assertEquals("Stop", el("stop").getText());
    assertTrue(el("stop").isEnabled(), "Stop is offered while the stream runs");
    release.countDown();

    until("every token explained and scored", d -> allExplained());
    assertTrue(el("progress").getText().startsWith("done"), el("progress").getText());
    assertEquals("", el("error").getText());

    // Each token's FVE is the one `nla lens` prints for it, its colour that FVE's.
    List<JsonNode> lens = lens(TEXT, "all", MAX_NEW_TOKENS);
    assertEquals(n, lens.size());
    for (int i = 0; i < n; i++) {
      WebElement t = token(i);
      double fve = Double.parseDouble(t.getDomAttribute("data-fve"));
      assertEquals(lens.get(i).get("fve_nrm").asDouble(), fve, 1e-6, "FVE at position " + i);
      assertNotEquals("rgb(238, 238, 238)", t.getCssValue("background-color"), "position " + i);
    }

    // The panel of the clicked token filled in when its frame arrived: what /explain gives.
    ObjectNode explainReq = sampling();
    explainReq.put("text", TEXT);
    explainReq.put("reverse", false);
    JsonNode explained = ok(post(server, "/explain", explainReq.toString()));
    JsonNode atClicked = explained.at("/results/" + clicked);
    assertEquals(clicked, atClicked.get("position").asInt());
    String explanation = atClicked.get("description").asText();
    assertFalse(explanation.isBlank());
    assertEquals(explanation, el("detail-explanation").getText());
    assertEquals(String.valueOf(clicked), el("detail-position").getText());
    assertEquals(
        String.format(java.util.Locale.ROOT, "%.4f", atClicked.get("cosine_similarity").asDouble()),
        el("detail-cos").getText());
    assertEquals(
        String.format(java.util.Locale.ROOT, "%.3f", lens.get(clicked).get("fve_nrm").asDouble()),
        el("detail-fve").getText());

    // Compare: the clicked token as A, another as B; the 2×2 scores are /score's, and
    // "Describe A − B" shows /compare's description of the difference of the two vectors.
    int other = 4;
    el("set-a").click();
    token(other).click();
    until("the second token's panel", d -> el("detail-position").getText().equals("4"));
    el("set-b").click();
    assertEquals(explanation, el("explanation-a").getDomProperty("value"));
    el("score").click();
    until("the score table", d -> el("score-table").isDisplayed());
    JsonNode extracted =
        ok(post(server, "/extract", "{\"text\": " + MAPPER.valueToTree(TEXT) + "}"));
    String explanationB = explained.at("/results/" + other + "/description").asText();
    ObjectNode scoreReq = MAPPER.createObjectNode();
    scoreReq.put("description", explanationB);
    scoreReq.set("activation", vector(extracted, clicked));
    JsonNode scored = ok(post(server, "/score", scoreReq.toString()));
    assertTrue(
        el("score-ba")
            .getText()
            .endsWith(
                String.format(
                    java.util.Locale.ROOT, "cos %.4f", scored.get("cosine_similarity").asDouble())),
        el("score-ba").getText());
    // An explanation against its own vector scores as /explain scored it.
    assertEquals(
        lens.get(clicked).get("fve_nrm").asDouble(),
        Double.parseDouble(el("score-aa").getDomAttribute("data-fve")),
        1e-6);

    el("describe-diff").click();
    until("the description of A − B", d -> el("diff-body").isDisplayed());
    ObjectNode compareReq = sampling();
    compareReq.set("activation_a", vector(extracted, clicked));
    compareReq.set("activation_b", vector(extracted, other));
    JsonNode compared = ok(post(server, "/compare", compareReq.toString()));
    assertEquals(compared.get("description").asText(), el("diff-explanation").getText());

    token(clicked).click();
    until("the clicked token's panel", d -> el("detail-position").getText().equals("11"));
    byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    assertTrue(png.length > 20_000, "screenshot is " + png.length + " bytes");
    assertEquals((byte) 0x89, png[0]);
    assertEquals('P', png[1]);
    assertNoScriptErrors();
    Path shot = tmp.resolve("serve-page.png");
    Files.write(shot, png);
    String keep = System.getProperty("nla.serve.screenshot");
    if (keep != null) Files.copy(shot, Path.of(keep), StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * /explain takes at most 512 positions a request: the page explains a longer text in windows, and
   * a token of the second window has the FVE the lens gives it (the denominator spans the text).
   */
  @Test
  void aTextOfMorePositionsThanOneRequestTakesIsExplainedInWindows() throws Exception {
    server = serve(null);
    String text = (TEXT + " ").repeat(40).strip();
    // Short decodes: this test is about the windows, not the explanations.
    int maxNewTokens = 4;
    int n =
        ok(post(server, "/tokenize", "{\"text\": " + MAPPER.valueToTree(text) + "}"))
            .get("prompt_length")
            .asInt();
    assertTrue(n > Api.MAX_POSITIONS_PER_REQUEST, n + " tokens");
    browser = browser();
    browser.get(url());
    until("the server to be ready", d -> el("status").getText().equals("ready"));
    JavascriptExecutor js = (JavascriptExecutor) browser;
    // Pasted, not typed: a few thousand key events would only slow the test.
    js.executeScript("document.getElementById('text').value = arguments[0]", text);
    type("max-new-tokens", String.valueOf(maxNewTokens));
    el("run").click();
    until("every token explained and scored", d -> allExplained() && tokens().size() == n);
    assertEquals("done: " + n + " positions explained", el("progress").getText());
    int late = n - 3;
    List<JsonNode> lens = lens(text, "5," + late, maxNewTokens);
    assertEquals(late, lens.get(1).get("position").asInt());
    for (JsonNode l : lens) {
      int p = l.get("position").asInt();
      assertEquals(
          l.get("fve_nrm").asDouble(),
          Double.parseDouble(token(p).getDomAttribute("data-fve")),
          1e-6,
          "FVE at position " + p);
    }
    String logged = log.toString(StandardCharsets.UTF_8);
    assertEquals(2, logged.split("POST /explain -> 200", -1).length - 1, logged);
    assertNoScriptErrors();
  }

  @Test
  void withASecretKeyThePageAsksForItAndWorksOnceItIsPasted() throws Exception {
    server = serve("page-test-secret");
    browser = browser();
    browser.get(url());
    until(
        "the page to ask for the key",
        d -> el("status").getText().contains("X-SECRET-KEY header required"));
    assertTrue(el("key-label").getDomAttribute("class").contains("needed"));

    type("key", "wrong-key");
    el("key").sendKeys(Keys.TAB);
    until("the wrong key refused", d -> el("status").getText().contains("Invalid secret key"));

    type("key", "page-test-secret");
    el("key").sendKeys(Keys.TAB);
    until("the server to be ready", d -> el("status").getText().equals("ready"));
    type("text", "Hello there, lighthouse keeper.");
    type("max-new-tokens", String.valueOf(MAX_NEW_TOKENS));

    // A stream that has not answered yet can be stopped, and the next run goes ahead.
    CountDownLatch release = new CountDownLatch(1);
    server.beforeWork =
        endpoint -> {
          if (!endpoint.equals("/explain")) return;
          try {
            release.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    el("run").click();
    until("the stream to wait", d -> el("progress").getText().contains("waiting"));
    el("stop").click();
    until("the stream stopped", d -> el("progress").getText().startsWith("stopped"));
    assertFalse(el("stop").isEnabled());
    server.beforeWork = endpoint -> {};
    release.countDown();

    el("text").sendKeys(Keys.chord(Keys.CONTROL, Keys.ENTER));
    until("every token explained and scored", d -> allExplained());
    token(1).click();
    assertFalse(el("detail-explanation").getText().isBlank());

    // The key is kept in the page's memory only.
    JavascriptExecutor js = (JavascriptExecutor) browser;
    assertEquals(
        0L, js.executeScript("return localStorage.length + sessionStorage.length"), "storage");
    assertEquals("", js.executeScript("return document.cookie"));
    assertFalse(browser.getCurrentUrl().contains("page-test-secret"), browser.getCurrentUrl());
    List<String> refused = assertNoScriptErrors();
    assertTrue(refused.stream().anyMatch(m -> m.contains("401")), refused.toString());
    assertTrue(refused.stream().anyMatch(m -> m.contains("403")), refused.toString());
  }

  @Test
  void browsersGetThePageAndApiClientsTheJsonAtTheSameRoot() {
    server = serve("root-secret");
    // The page needs no key (it holds no data); Neuronpedia's JSON at / still does.
    ServeEndToEndTest.Reply page = get(server, "/", "Accept", "text/html,application/xhtml+xml");
    assertEquals(200, page.status());
    assertTrue(page.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertEquals(
        LensPage.CONTENT_SECURITY_POLICY,
        page.raw().headers().firstValue("Content-Security-Policy").orElse(null));
    assertEquals("Accept", page.raw().headers().firstValue("Vary").orElse(null));
    // Offline: nothing is loaded from anywhere (the policy would block it too).
    assertFalse(page.body().contains("http://"), "an absolute URL in the page");
    assertFalse(page.body().contains("https://"), "an absolute URL in the page");
    assertFalse(page.body().contains(" src="), "a loaded script or image in the page");
    assertTrue(page.body().contains("X-SECRET-KEY"));

    assertEquals(401, get(server, "/").status());
    ServeEndToEndTest.Reply refused = get(server, "/", "Accept", "*/*");
    assertEquals(401, refused.status());
    assertEquals("Accept", refused.raw().headers().firstValue("Vary").orElse(null));
    ServeEndToEndTest.Reply json = get(server, "/", "X-SECRET-KEY", "root-secret");
    assertEquals("ok", ok(json).get("status").asText());
    assertEquals("Accept", json.raw().headers().firstValue("Vary").orElse(null));
    assertEquals(
        405,
        post(server, "/", "{}", "Accept", "text/html", "X-SECRET-KEY", "root-secret").status());
  }
}
