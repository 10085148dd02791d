package nla.model.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import nla.io.UserError;
import org.junit.jupiter.api.Test;

class BenchShapeTest {

  @Test
  void aShapeIsFoundByItsNameAndByTheModelCardsSpelling() {
    assertEquals("gemma3-27b", BenchShape.named("gemma3-27b").name());
    assertEquals("gemma3-27b", BenchShape.named("gemma-3-27b").name());
    assertEquals("gemma3-12b", BenchShape.named("gemma-3-12b").name());
    assertEquals("llama3.3-70b", BenchShape.named("llama-3.3-70b").name());
    assertEquals("qwen2.5-7b", BenchShape.named("qwen2.5-7b").name());
    assertEquals("qwen2.5-7b", BenchShape.named("qwen-2.5-7b").name());
  }

  @Test
  void anUnknownShapeIsOneLineListingTheKnownOnes() {
    UserError e = assertThrows(UserError.class, () -> BenchShape.named("gemma-4-9b"));
    assertTrue(e.getMessage().startsWith("--shape gemma-4-9b: unknown (known: "), e.getMessage());
    assertTrue(e.getMessage().contains("gemma3-27b"), e.getMessage());
  }
}
