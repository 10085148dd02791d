package nla.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An output file appears whole or not at all, and a failed write leaves nothing behind. */
class AtomicFilesTest {
  @TempDir Path dir;

  private List<String> names() throws IOException {
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aNewFileIsRenamedOverTheOldOneWhichAHardLinkStillHolds() throws Exception {
    Path out = Files.writeString(dir.resolve("out.json"), "old");
    Path link = Files.createLink(dir.resolve("link.json"), out);
    AtomicFiles.writeString(out, "new, and longer than the old");
    assertEquals("new, and longer than the old", Files.readString(out));
    assertEquals("old", Files.readString(link), "the old file was replaced, not rewritten");
    assertEquals(List.of("link.json", "out.json"), names(), "no temporary file left");
  }

  @Test
  void aWriteThatFailsLeavesTheTargetAsItWasAndNoTemporaryFile() throws Exception {
    // The target is a non-empty folder: the rename fails after the bytes were written.
    Path target = Files.createDirectories(dir.resolve("taken"));
    Files.writeString(target.resolve("inside"), "kept");
    assertThrows(IOException.class, () -> AtomicFiles.writeString(target, "lost"));
    assertEquals("kept", Files.readString(target.resolve("inside")));
    assertEquals(List.of("taken"), names());
  }
}
