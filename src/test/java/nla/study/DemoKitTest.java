package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import nla.core.Sidecar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoKitTest {
  @TempDir Path dir;

  @Test
  void fileListNamesExactlyTheBundledResources() throws Exception {
    Path resources = Path.of("src/main/resources");
    List<String> listed = Files.readAllLines(resources.resolve("nla/demo/files.txt"));
    List<String> present;
    try (Stream<Path> files =
        Stream.concat(
            Files.walk(resources.resolve("nla/demo")), Files.walk(resources.resolve("demo")))) {
      present =
          files
              .filter(Files::isRegularFile)
              .map(p -> resources.relativize(p).toString())
              .filter(p -> !p.equals("nla/demo/files.txt"))
              .sorted()
              .toList();
    }
    assertEquals(present, listed.stream().filter(l -> !l.isBlank()).sorted().toList());
  }

  @Test
  void materialisesALoadablePairAndCorpus() {
    DemoKit.Paths kit = DemoKit.materialise(dir);
    for (Path ckpt : List.of(kit.av(), kit.ar())) {
      assertTrue(Files.isRegularFile(ckpt.resolve("model.safetensors")), ckpt + " has weights");
      assertTrue(Files.isRegularFile(ckpt.resolve("tokenizer.json")), ckpt + " has a tokenizer");
    }
    assertTrue(Files.isRegularFile(kit.ar().resolve("value_head.safetensors")));
    assertTrue(Files.isRegularFile(kit.corpus()));
    assertEquals(1, Sidecar.load(kit.av()).layerK());
    // A second call keeps what is there.
    assertEquals(kit, DemoKit.materialise(dir));
  }
}
