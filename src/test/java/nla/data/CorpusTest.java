package nla.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
  @TempDir Path dir;

  static List<Document> all(Corpus c, long from) {
    List<Document> docs = new ArrayList<>();
    Iterator<Document> it = c.documents(from);
    it.forEachRemaining(docs::add);
    return docs;
  }

  @Test
  void jsonlStreamsNamedFieldSkipsBlankLinesAndKeepsIndicesOfNonUtf8Lines() throws Exception {
    Path file = dir.resolve("c.jsonl");
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write("{\"text\": \"zero\", \"id\": 0}\n\n".getBytes(StandardCharsets.UTF_8));
      out.write(
          new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xff, '"', '}', '\n'});
      out.write("{\"text\": \"bad \\ud800 surrogate\"}\r\n".getBytes(StandardCharsets.UTF_8));
      out.write("{\"text\": \"three ㈎\"}".getBytes(StandardCharsets.UTF_8)); // no final newline
    }
    try (Corpus c = Corpus.open(file, "text")) {
      assertEquals(4, c.size());
      List<Document> docs = all(c, 0);
      assertEquals(4, docs.size());
      assertEquals("zero", docs.get(0).text());
      assertNull(docs.get(1).text());
      assertTrue(docs.get(1).unreadable().contains("line 3 is not valid UTF-8"));
      assertTrue(docs.get(2).unreadable().contains("unpaired surrogate"));
      assertEquals("three ㈎", docs.get(3).text());
      assertEquals(3, docs.get(3).index());
      List<Document> tail = all(c, 2);
      assertEquals(List.of(2L, 3L), tail.stream().map(Document::index).toList());
    }
  }

  @Test
  void jsonlLinesLongerThanTheReadBufferAreWhole() throws Exception {
    Path file = dir.resolve("long.jsonl");
    String longText = "word ".repeat(60_000) + "㈎";
    Files.writeString(
        file,
        "{\"text\": \"" + longText + "\"}\n\n{\"text\": \"short\"}\n",
        StandardCharsets.UTF_8);
    try (Corpus c = Corpus.open(file, "text")) {
      List<Document> docs = all(c, 0);
      assertEquals(2, docs.size());
      assertEquals(longText, docs.get(0).text());
      assertEquals("short", docs.get(1).text());
      assertEquals(1, docs.get(1).index());
    }
  }

  @Test
  void jsonlMissingFieldIsAUserErrorNamingFieldAndLine() throws Exception {
    Path file = dir.resolve("c.jsonl");
    Files.writeString(file, "{\"content\": \"x\", \"url\": \"u\"}\n");
    try (Corpus c = Corpus.open(file, "text")) {
      UserError e = assertThrows(UserError.class, () -> all(c, 0));
      assertTrue(e.getMessage().contains("line 1 has no field \"text\""), e.getMessage());
      assertTrue(e.getMessage().contains("fields: content, url"), e.getMessage());
    }
  }

  @Test
  void gzippedJsonlAndTextFolderInNameOrder() throws Exception {
    Path gz = dir.resolve("c.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write("{\"t\": \"a\"}\n{\"t\": \"b\"}\n".getBytes(StandardCharsets.UTF_8));
    }
    try (Corpus c = Corpus.open(gz, "t")) {
      assertEquals(List.of("a", "b"), all(c, 0).stream().map(Document::text).toList());
    }
    Path folder = Files.createDirectory(dir.resolve("txt"));
    Files.writeString(folder.resolve("b.txt"), "second");
    Files.writeString(folder.resolve("a.txt"), "first");
    Files.write(folder.resolve("c.txt"), new byte[] {(byte) 0xc3, (byte) 0x28});
    Files.writeString(folder.resolve("notes.md"), "ignored");
    try (Corpus c = Corpus.open(folder, "ignored")) {
      List<Document> docs = all(c, 0);
      assertEquals(3, c.size());
      assertEquals("first", docs.get(0).text());
      assertEquals("second", docs.get(1).text());
      assertTrue(docs.get(2).unreadable().contains("c.txt is not valid UTF-8"));
    }
  }

  @Test
  void parquetShardsStreamTheNamedColumnAndRejectAMissingOne() throws Exception {
    Path shards = Files.createDirectory(dir.resolve("ufw"));
    try (Connection c = Duck.open();
        Statement s = c.createStatement()) {
      s.execute(
          "COPY (SELECT 'doc ' || i AS content, i AS score FROM range(0, 5) t(i)) TO "
              + Duck.literal(shards.resolve("part-0.parquet"))
              + " (FORMAT parquet)");
      s.execute(
          "COPY (SELECT 'doc ' || i AS content, i AS score FROM range(5, 8) t(i)) TO "
              + Duck.literal(shards.resolve("part-1.parquet"))
              + " (FORMAT parquet)");
    }
    try (Corpus c = Corpus.open(shards, "content")) {
      assertEquals(8, c.size());
      List<Document> docs = all(c, 3);
      assertEquals(5, docs.size());
      assertEquals("doc 3", docs.get(0).text());
      assertEquals(3, docs.get(0).index());
      assertEquals("doc 7", docs.get(4).text());
    }
    UserError e = assertThrows(UserError.class, () -> Corpus.open(shards, "text"));
    assertTrue(e.getMessage().contains("no column \"text\""), e.getMessage());
    assertTrue(e.getMessage().contains("columns: content, score"), e.getMessage());
  }

  @Test
  void slicesPastTheEndAreRefusedBeforeAnyWork() throws Exception {
    Path file = dir.resolve("c.jsonl");
    Files.writeString(file, "{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \"c\"}\n");
    try (Corpus c = Corpus.open(file, "text")) {
      assertEquals(3, Corpus.checkSlice(c, 0, null));
      assertEquals(2, Corpus.checkSlice(c, 1, 2L));
      UserError e = assertThrows(UserError.class, () -> Corpus.checkSlice(c, 3, null));
      assertTrue(e.getMessage().contains("past the end"), e.getMessage());
      e = assertThrows(UserError.class, () -> Corpus.checkSlice(c, 2, 5L));
      assertTrue(e.getMessage().contains("at most --length 1"), e.getMessage());
    }
  }

  @Test
  void demoCorpusIsReadableJsonl() {
    Path demo = Path.of("src/main/resources/demo/corpus.jsonl");
    try (Corpus c = Corpus.open(demo, "text")) {
      List<Document> docs = all(c, 0);
      assertEquals(32, docs.size());
      assertTrue(docs.get(30).isEmpty());
      assertTrue(docs.stream().limit(30).allMatch(d -> d.text().split(" ").length > 60));
    }
  }
}
