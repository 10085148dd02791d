package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfabulationTest {
  @Test
  void trueRunsAgainstTheirOwnContextAndNullAgainstAnotherItems() {
    List<String> contexts =
        List.of(
            "one two three four five six seven eight", "alpha beta gamma delta", "red green blue");
    List<String> explanations =
        List.of(
            "\"one two three four five six seven\" was said", // 7 words copied
            "it mentions beta gamma", // 2
            "colours: green"); // 1
    List<Confabulation.Item> items = Confabulation.items(explanations, contexts, 5);
    assertEquals(7, items.get(0).trueRun());
    assertEquals(2, items.get(1).trueRun());
    assertEquals(1, items.get(2).trueRun());
    for (int i = 0; i < 3; i++) {
      Confabulation.Item it = items.get(i);
      int expectedNull =
          WordOverlap.longest(explanations.get(i), contexts.get(it.nullPartner())).length();
      assertEquals(expectedNull, it.nullRun());
      assertEquals(true, it.nullPartner() != i);
    }
    Confabulation.Summary s = Confabulation.summarize(items);
    assertEquals(2.0, s.medianRun(), 1e-12);
    // sorted 1 2 7: position 0.9*2 = 1.8 -> 2 + 0.8*5 = 6
    assertEquals(6.0, s.p90Run(), 1e-12);
    assertEquals(1.0 / 3, s.shareAtLeast6(), 1e-12);
  }

  @Test
  void samesSeedSamePairing() {
    List<String> t = List.of("a", "b", "c", "d", "e");
    assertEquals(Confabulation.items(t, t, 3), Confabulation.items(t, t, 3));
  }
}
