package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nla.GoldenFixtures;
import nla.backend.cuda.CudaBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decode steps replayed from recorded CUDA graphs compute what the same steps launched one by one
 * compute, bit for bit (the same kernels with the same arguments): greedy and sampled generation at
 * batch 1 and 3, with continuous batching changing the batch mid-way, and the graphs were used; the
 * steps' GPU time, as their events measure it, lies within their wall time.
 */
@Tag("gpu")
class CudaGraphGpuTest {
  @ParameterizedTest
  @ValueSource(strings = {"qwen2", "gemma3-text", "llama3"})
  void replayedStepsEqualLaunchedSteps(String name) {
    var dir = GoldenFixtures.modelDir(name);
    CudaBackend direct = new CudaBackend(0, false);
    CudaBackend graphed = new CudaBackend(0, true);
    // The models own their backends and close them.
    try (LanguageModel a = LanguageModel.load(dir, List.of(direct));
        LanguageModel b = LanguageModel.load(dir, List.of(graphed))) {
      List<GenerationRequest> reqs = new ArrayList<>();
      int[][] prompts = {{5, 17, 300, 42, 9, 1000, 77}, {5, 17, 300, 8}, {11, 12, 13, 14, 15, 16}};
      for (int i = 0; i < prompts.length; i++) {
        SamplingParams p =
            i == 1
                ? new SamplingParams(0.9, 0.95, 40, 1234, 40, true, Map.of(1000, -1e9f))
                : SamplingParams.greedy().withMaxNewTokens(i == 2 ? 20 : 40);
        reqs.add(new GenerationRequest(SequenceInput.ofIds(prompts[i]), p));
      }
      long graphedWall = 0;
      for (int maxActive : new int[] {1, 2, 3}) {
        List<Generation> ga = a.generate(reqs, maxActive);
        long t0 = System.nanoTime();
        List<Generation> gb = b.generate(reqs, maxActive);
        graphedWall += System.nanoTime() - t0;
        for (int i = 0; i < ga.size(); i++) {
          assertArrayEquals(
              ga.get(i).outputIds(),
              gb.get(i).outputIds(),
              name + " request " + i + " at " + maxActive + " active");
        }
      }
      assertEquals(0, direct.graphReplays());
      assertTrue(graphed.graphReplays() > 50, "replays: " + graphed.graphReplays());
      // The steps' own GPU time (their events) lies within the generations' wall time.
      long stepNanos = b.deviceStepNanos();
      assertTrue(
          stepNanos > 0 && stepNanos < graphedWall, stepNanos + " ns of " + graphedWall + " ns");
    }
  }
}
