package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import nla.GoldenFixtures;
import nla.backend.DeviceSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The layer placement on one GPU: {@code cuda:0,0} holds the model as two partitions on the same
 * card, with the residual stream handed from one to the other, and must compute what {@code cuda:0}
 * computes, bit for bit (same kernels, same shapes).
 */
@Tag("gpu")
class PartitionedGpuTest {
  @ParameterizedTest
  @ValueSource(strings = {"qwen2", "gemma3-text"})
  void twoPartitionsOnOneGpuComputeWhatOneDoes(String name) {
    var dir = GoldenFixtures.modelDir(name);
    try (LanguageModel one = LanguageModel.load(dir, DeviceSpec.parse("cuda:0"), 2, false);
        LanguageModel two = LanguageModel.load(dir, DeviceSpec.parse("cuda:0,0"), 2, false)) {
      int layers = one.config().numLayers();
      int[] all = new int[layers];
      for (int k = 0; k < layers; k++) all[k] = k;
      List<SequenceInput> batch =
          List.of(
              SequenceInput.ofIds(new int[] {5, 17, 300, 42, 9, 1000, 77}),
              SequenceInput.ofIds(new int[] {5, 17, 300, 8}));
      List<float[][][]> a = one.hiddenStates(batch, all);
      List<float[][][]> b = two.hiddenStates(batch, all);
      for (int s = 0; s < a.size(); s++)
        for (int k = 0; k < layers; k++)
          for (int t = 0; t < a.get(s)[k].length; t++)
            assertArrayEquals(a.get(s)[k][t], b.get(s)[k][t], name + " block " + k);
      List<GenerationRequest> reqs =
          List.of(
              new GenerationRequest(batch.get(0), SamplingParams.greedy().withMaxNewTokens(8)),
              new GenerationRequest(batch.get(1), SamplingParams.greedy().withMaxNewTokens(8)));
      List<Generation> ga = one.generate(reqs);
      List<Generation> gb = two.generate(reqs);
      for (int i = 0; i < ga.size(); i++)
        assertArrayEquals(ga.get(i).outputIds(), gb.get(i).outputIds(), name + " request " + i);
    }
  }
}
