package nla.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import nla.data.ActivationParquet;
import nla.data.ActivationRow;
import nla.io.Npy;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputsTest {
  @TempDir Path tmp;

  @Test
  void activationSetsFromParquetCarryContextsAndFromNpyDoNot() {
    Path pq = tmp.resolve("a.parquet");
    ActivationParquet.write(
        pq,
        3,
        List.of(
            new ActivationRow(51, "ctx one", new float[] {1, 2, 3}, 4, "c:s:0"),
            new ActivationRow(60, "ctx two", new float[] {4, 5, 6}, 4, "c:s:1")));
    ActivationSet a = ActivationSets.load(pq);
    assertEquals(2, a.size());
    assertEquals(List.of("ctx one", "ctx two"), a.contexts());
    assertEquals(List.of("c:s:0", "c:s:1"), a.docIds());
    assertArrayEquals(new float[] {4, 5, 6}, a.vectors().get(1));
    assertEquals(RunDir.sha256(pq), a.hash());

    Path npy = tmp.resolve("b.npy");
    Npy.write(npy, new float[][] {{1, 2}, {3, 4}});
    ActivationSet b = ActivationSets.load(npy);
    assertNull(b.contexts());
    assertEquals(1, b.head(1).size());
    assertNotEquals(b.hash(), b.head(1).hash());
    assertThrows(UserError.class, () -> ActivationSets.load(tmp.resolve("none.parquet")));
  }

  @Test
  void checkpointHashIsStableAndSeesEveryFile() throws Exception {
    Path d = tmp.resolve("ckpt");
    Files.createDirectories(d);
    Files.writeString(d.resolve("config.json"), "{\"hidden_size\": 8}");
    Files.write(d.resolve("model.safetensors"), new byte[] {1, 2, 3});
    String h = RunDir.checkpointHash(d);
    assertEquals(h, RunDir.checkpointHash(d));
    Files.writeString(d.resolve("config.json"), "{\"hidden_size\": 9}");
    assertNotEquals(h, RunDir.checkpointHash(d));
  }
}
