package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import nla.GoldenFixtures;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching ({@link LanguageModel#generate(List, int)}): however few requests decode at
 * once, and so whichever requests share a step, each request gets the tokens and finish reason it
 * gets in one big batch — greedy, sampled with its seed, biased, stopping at EOS or length, with
 * prompts sharing a prefix.
 */
class ContinuousBatchingTest {

  @Test
  void requestsGetTheSameTokensHoweverManyDecodeAtOnce() {
    try (LanguageModel m = LanguageModel.load(GoldenFixtures.modelDir("qwen2"))) {
      List<GenerationRequest> requests = GenerationSchedulerTest.requests(10);
      List<Generation> all = m.generate(requests);
      for (int maxActive : new int[] {1, 3, 7}) {
        List<Generation> some = m.generate(requests, maxActive);
        for (int i = 0; i < requests.size(); i++) {
          String where = "request " + i + ", " + maxActive + " at once";
          assertArrayEquals(all.get(i).outputIds(), some.get(i).outputIds(), where);
          assertEquals(all.get(i).finishReason(), some.get(i).finishReason(), where);
        }
      }
    }
  }
}
