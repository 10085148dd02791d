package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
      List<GenerationRequest> requests = new ArrayList<>();
      for (int r = 0; r < 10; r++) {
        int[] prompt = new int[3 + (r * 7) % 11];
        for (int t = 0; t < prompt.length; t++) prompt[t] = t < 3 ? 100 + t : 500 + 37 * r + t;
        SamplingParams p =
            switch (r % 4) {
              case 0 -> SamplingParams.greedy().withMaxNewTokens(3 + r);
              case 1 -> new SamplingParams(0.8, 0.9, 50, 1000 + r, 6, true, Map.of());
              case 2 -> new SamplingParams(0, 1, 0, 0, 9, false, Map.of(93952, -1e9f));
              default -> new SamplingParams(1.2, 1, 0, 7 * r, 1 + r % 5, false, Map.of(15664, 3f));
            };
        requests.add(new GenerationRequest(SequenceInput.ofIds(prompt), p));
      }
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
