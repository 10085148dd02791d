package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import nla.core.TinyNla;
import nla.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input sweep of the whole CLI: each user error is exactly one line "nla: ..." naming the
 * file, field or flag, exit code 2, no stack trace; and a bad output path is caught before the
 * models run.
 */
class BadInputTest {
  @TempDir static Path tmp;
  static Path av;
  static Path ar;
  static Path vectors;

  @BeforeAll
  static void build() throws Exception {
    av = TinyNla.av(tmp.resolve("av"), "");
    ar = TinyNla.ar(tmp.resolve("ar"));
    float[][] v = new float[3][TinyNla.HIDDEN];
    Random r = new Random(1);
    for (float[] row : v) for (int i = 0; i < row.length; i++) row[i] = (float) r.nextGaussian();
    vectors = tmp.resolve("v.npy");
    Npy.write(vectors, v);
  }

  /** Runs the CLI; asserts the one-line user error containing each fragment; returns stdout. */
  static String assertUserError(List<String> fragments, String... args) {
    String[] r = BaselineCommandTest.run(args);
    String err = r[2];
    assertEquals("2", r[0], err);
    assertEquals(1, err.lines().count(), "exactly one line on stderr: " + err);
    assertTrue(err.startsWith("nla: "), err);
    assertFalse(err.contains("Exception"), err);
    for (String f : fragments) assertTrue(err.contains(f), "missing '" + f + "' in: " + err);
    return r[1];
  }

  @Test
  void anEmptyVectorFileIsOneError() {
    Path empty = tmp.resolve("empty.npy");
    Npy.write(empty, new float[0][]);
    // baseline used to crash with IndexOutOfBoundsException; verbalize used to succeed silently.
    assertUserError(
        List.of("--vectors", "empty.npy", "no vectors"), "baseline", "--vectors", empty.toString());
    assertUserError(
        List.of("--vectors", "no vectors"),
        "verbalize",
        "--av",
        av.toString(),
        "--vectors",
        empty.toString());
  }

  @Test
  void aWholeFileOfTheWrongWidthIsOneErrorNotOnePerRow() {
    Path narrow = tmp.resolve("narrow.npy");
    Npy.write(narrow, new float[4][TinyNla.HIDDEN / 2]);
    String out =
        assertUserError(
            List.of(
                "--vectors",
                "narrow.npy",
                "width " + TinyNla.HIDDEN / 2,
                "d_model is " + TinyNla.HIDDEN),
            "verbalize",
            "--av",
            av.toString(),
            "--vectors",
            narrow.toString());
    assertEquals("", out);
    Path run = tmp.resolve("rt-narrow");
    assertUserError(
        List.of("--vectors", "width"),
        "roundtrip",
        "--av",
        av.toString(),
        "--ar",
        ar.toString(),
        "--vectors",
        narrow.toString(),
        "--out",
        run.toString());
  }

  @Test
  void aCustomPromptSaysWhereInjectMustGo() {
    assertUserError(
        List.of("--prompt", "appears 2 times"),
        "verbalize",
        "--av",
        av.toString(),
        "--vectors",
        vectors.toString(),
        "--prompt",
        "<INJECT> and <INJECT>");
    assertUserError(
        List.of("--prompt", "<INJECT> must sit between the tokens"),
        "verbalize",
        "--av",
        av.toString(),
        "--vectors",
        vectors.toString(),
        "--prompt",
        "The vector: <INJECT>.");
  }

  @Test
  void reconstructRefusesNoTextsAndADirectoryOutBeforeRunning() throws Exception {
    Path none = tmp.resolve("none.jsonl");
    Files.writeString(none, "\n");
    assertUserError(
        List.of("--texts", "no texts"),
        "reconstruct",
        "--ar",
        ar.toString(),
        "--texts",
        none.toString(),
        "--out",
        tmp.resolve("p.npy").toString());
    Path texts = tmp.resolve("texts.jsonl");
    Files.writeString(texts, "{\"text\": \"a cat\"}\n");
    Path dir = Files.createDirectories(tmp.resolve("a-dir"));
    assertUserError(
        List.of("--out", "is a directory"),
        "reconstruct",
        "--ar",
        ar.toString(),
        "--texts",
        texts.toString(),
        "--out",
        dir.toString());
    assertEquals(List.of(), List.of(dir.toFile().list())); // no .part file left behind
    Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
    assertUserError(
        List.of("--out", "not-a-folder is a file"),
        "reconstruct",
        "--ar",
        ar.toString(),
        "--texts",
        texts.toString(),
        "--out",
        file.resolve("p.npy").toString());
  }

  @Test
  void reconstructRefusesAnOutThatIsItsOwnGoldOrTextsAndLeavesThemAsTheyWere() throws Exception {
    Path texts = tmp.resolve("own-texts.jsonl");
    Files.writeString(texts, "{\"text\": \"a cat\"}\n");
    Path gold = tmp.resolve("own-gold.npy");
    Npy.write(gold, new float[][] {new float[TinyNla.HIDDEN]});
    byte[] goldBytes = Files.readAllBytes(gold);
    // Spelled differently from --gold, as a user might: the same file all the same.
    String goldAgain = tmp.resolve("a-dir").resolve("..").resolve("own-gold.npy").toString();
    Files.createDirectories(tmp.resolve("a-dir"));
    assertUserError(
        List.of("--out", "is also the --gold input"),
        "reconstruct",
        "--ar",
        ar.toString(),
        "--texts",
        texts.toString(),
        "--gold",
        gold.toString(),
        "--out",
        goldAgain);
    assertTrue(java.util.Arrays.equals(goldBytes, Files.readAllBytes(gold)));
    assertUserError(
        List.of("--out", "is also the --texts input"),
        "reconstruct",
        "--ar",
        ar.toString(),
        "--texts",
        texts.toString(),
        "--out",
        texts.toString());
    assertEquals("{\"text\": \"a cat\"}\n", Files.readString(texts));
  }

  @Test
  void lensRefusesAnHtmlPageWrittenOverItsOwnTextFile() throws Exception {
    Path text = Files.writeString(tmp.resolve("lens-text.txt"), "The cat sat.");
    assertUserError(
        List.of("--html", "is also the --text-file input"),
        "lens",
        "--base",
        av.toString(),
        "--av",
        av.toString(),
        "--text-file",
        text.toString(),
        "--html",
        text.toString());
    assertEquals("The cat sat.", Files.readString(text));
  }

  @Test
  void extractAndReportRefuseAnOutputThatIsTheirOwnInputAndLeaveItAsItWas() throws Exception {
    Path text = Files.writeString(tmp.resolve("notes.txt"), "hello there");
    assertUserError(
        List.of("--out", "notes.txt", "--text-file"),
        "extract",
        "--model",
        av.toString(),
        "--layer",
        "0",
        "--text-file",
        text.toString(),
        "--out",
        text.toString());
    assertEquals("hello there", Files.readString(text));

    Path run = Files.createDirectories(tmp.resolve("report-run"));
    Path manifest = Files.writeString(run.resolve("manifest.json"), "{}");
    Path prereg = Files.writeString(tmp.resolve("prereg.yaml"), "predictions: []\n");
    assertUserError(
        List.of("--out", "prereg.yaml", "--prereg"),
        "report",
        run.toString(),
        "--prereg",
        prereg.toString(),
        "--out",
        prereg.toString());
    assertUserError(
        List.of("--out", "manifest.json", "RUN_DIR manifest"),
        "report",
        run.toString(),
        "--out",
        manifest.toString());
    Path besidePrereg = Files.writeString(tmp.resolve("results.json"), "[]");
    assertUserError(
        List.of("results.json beside it", "--prereg"),
        "report",
        run.toString(),
        "--prereg",
        besidePrereg.toString(),
        "--out",
        tmp.resolve("report.html").toString());
    assertEquals("predictions: []\n", Files.readString(prereg));
    assertEquals("{}", Files.readString(manifest));
    assertEquals("[]", Files.readString(besidePrereg));
  }

  @Test
  void roundtripOutThatIsAFileIsOneError() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertUserError(
        List.of("--out", "a-file", "is a file"),
        "roundtrip",
        "--av",
        av.toString(),
        "--ar",
        ar.toString(),
        "--vectors",
        vectors.toString(),
        "--out",
        file.toString());
  }

  @Test
  void aFileThatIsNotParquetSaysSo() throws Exception {
    Path fake = Files.writeString(tmp.resolve("fake.parquet"), "hello");
    assertUserError(List.of("fake.parquet", "not a parquet file"), "activations", fake.toString());
    assertUserError(
        List.of("fake.parquet", "not a parquet file"),
        "eval-set",
        "--from",
        fake.toString(),
        "--n",
        "1",
        "--out",
        tmp.resolve("e.parquet").toString());
  }

  @Test
  void aPlanWithATypoOrABadCountIsRejectedBeforeAnythingRuns() throws Exception {
    String head = "nlas: {x: {av: a, ar: b}}\nactivations: {x: none.parquet}\n";
    Path typo =
        Files.writeString(
            tmp.resolve("typo.yaml"), head + "studies: {eval: {nla: x, samplez: 3}}\n");
    assertUserError(
        List.of("typo.yaml", "studies.eval", "unknown setting 'samplez'"),
        "study",
        "all",
        "--plan",
        typo.toString(),
        "--out",
        tmp.resolve("r1").toString());
    Path scalar = Files.writeString(tmp.resolve("scalar.yaml"), head + "studies: {eval: 5}\n");
    assertUserError(
        List.of("scalar.yaml", "studies.eval", "mapping"),
        "study",
        "all",
        "--plan",
        scalar.toString(),
        "--out",
        tmp.resolve("r2").toString());
    Path ns =
        Files.writeString(
            tmp.resolve("ns.yaml"), head + "studies: {ridge: {a: x, b: x, ns: [abc]}}\n");
    assertUserError(
        List.of("ns.yaml", "studies.ridge.ns", "abc"),
        "study",
        "all",
        "--plan",
        ns.toString(),
        "--out",
        tmp.resolve("r3").toString());
    Path limit =
        Files.writeString(
            tmp.resolve("limit.yaml"), "limit: 0\n" + head + "studies: {eval: {nla: x}}\n");
    assertUserError(
        List.of("limit.yaml", "plan.limit"),
        "study",
        "all",
        "--plan",
        limit.toString(),
        "--out",
        tmp.resolve("r4").toString());
    Path other =
        Files.writeString(
            tmp.resolve("other.yaml"),
            "nlas: {x: {av: a, ar: b}}\nactivations: {x: "
                + vectors
                + "}\nstudies: {eval: {nla: y, activations: x}}\n");
    assertUserError(
        List.of("other.yaml", "no NLA named 'y'", "[x]"),
        "study",
        "all",
        "--plan",
        other.toString(),
        "--out",
        tmp.resolve("r5").toString());
    // A bad setting of a later study is found with the plan, not when that study starts.
    Path hot =
        Files.writeString(
            tmp.resolve("hot.yaml"),
            "nlas: {x: {av: a, ar: b}}\nactivations: {x: "
                + vectors
                + "}\nstudies: {eval: {nla: x}, best-of-n: {nla: x, temperature: -1}}\n");
    assertUserError(
        List.of("hot.yaml", "studies.best-of-n.temperature", "finite number >= 0, got -1.0"),
        "study",
        "all",
        "--plan",
        hot.toString(),
        "--out",
        tmp.resolve("r6").toString());
    assertFalse(Files.exists(tmp.resolve("r6").resolve("eval")), "eval ran before the check");
    assertUserError(
        List.of("--plan", "no such file"),
        "study",
        "all",
        "--plan",
        tmp.resolve("missing.yaml").toString());
  }

  @Test
  void aMissingFileOfALaterStudyFailsBeforeTheFirstStudyRuns() throws Exception {
    Path plan =
        Files.writeString(
            tmp.resolve("later.yaml"),
            "nlas: {x: {av: "
                + av
                + ", ar: "
                + ar
                + "}}\nactivations: {x: "
                + vectors
                + "}\nstudies:\n  eval: {nla: x}\n"
                + "  layers: {nla: x, neighbours: {L0: no-such-neighbour.npy}}\n");
    Path run = tmp.resolve("r-later");
    assertUserError(
        List.of("later.yaml", "studies.layers.neighbours.L0", "no-such-neighbour.npy"),
        "study",
        "all",
        "--plan",
        plan.toString(),
        "--out",
        run.toString());
    assertFalse(
        Files.exists(run.resolve("eval")), "eval ran before the plan's inputs were checked");
  }

  @Test
  void flagValuesTheModelRejectsNameTheFlag() {
    assertUserError(
        List.of("--layer 9", "out of range"),
        "extract",
        "--model",
        av.toString(),
        "--layer",
        "9",
        "--text",
        "hi",
        "--out",
        tmp.resolve("o.npy").toString());
    assertUserError(
        List.of("--token-ids", "999999999", "out of the vocabulary"),
        "extract",
        "--model",
        av.toString(),
        "--layer",
        "0",
        "--token-ids",
        "1,999999999",
        "--out",
        tmp.resolve("o.npy").toString());
    assertUserError(
        List.of("--baseline", "positive"),
        "roundtrip",
        "--av",
        av.toString(),
        "--ar",
        ar.toString(),
        "--vectors",
        vectors.toString(),
        "--out",
        tmp.resolve("rt-baseline").toString(),
        "--baseline",
        "-1");
  }

  @Test
  void aBadDecodingFlagIsRefusedInTheSameWordsByGenerateAndTheAvCommands() {
    String[][] flags = {
      {"--temperature", "-1", "--temperature: must be a finite number >= 0, got -1.0"},
      {"--temperature", "Infinity", "--temperature: must be a finite number >= 0, got Infinity"},
      {"--top-p", "0", "--top-p: must be in (0, 1], got 0.0"},
      {"--top-k", "-2", "--top-k: must be >= 0, got -2"},
      {"--max-new-tokens", "-1", "--max-new-tokens: must be >= 0, got -1"}
    };
    for (String[] f : flags) {
      assertUserError(
          List.of(f[2]), "generate", "--model", av.toString(), "--token-ids", "1", f[0], f[1]);
      assertUserError(
          List.of(f[2]),
          "verbalize",
          "--av",
          av.toString(),
          "--vectors",
          vectors.toString(),
          f[0],
          f[1]);
    }
    // What only an AV decode needs: a sample, and a token to explain with.
    assertUserError(
        List.of("--samples: must be >= 1, got 0"),
        "verbalize",
        "--av",
        av.toString(),
        "--vectors",
        vectors.toString(),
        "--samples",
        "0");
    assertUserError(
        List.of("--max-new-tokens: must be >= 1, got 0"),
        "verbalize",
        "--av",
        av.toString(),
        "--vectors",
        vectors.toString(),
        "--max-new-tokens",
        "0");
  }

  @Test
  void aNegativeLimitIsAFlagError() {
    // Used to reach List.subList and print an IllegalArgumentException.
    assertUserError(
        List.of("--limit"),
        "study",
        "eval",
        "--av",
        av.toString(),
        "--ar",
        ar.toString(),
        "--activations",
        vectors.toString(),
        "--out",
        tmp.resolve("r6").toString(),
        "--limit",
        "-1");
  }

  @Test
  void aPathTheFileSystemRefusesIsOneLineNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");
    // demo --out under a plain file: the file system's "Not a directory", no stack trace.
    assertUserError(List.of("plain-file"), "demo", "--out", file.resolve("sub").toString());
  }

  @Test
  void aBadFlagValueIsOneLineWithWhereToLook() {
    assertUserError(
        List.of("--layer", "'x'", "nla extract --help"),
        "extract",
        "--model",
        av.toString(),
        "--layer",
        "x",
        "--text",
        "hi",
        "--out",
        "o.npy");
  }
}
