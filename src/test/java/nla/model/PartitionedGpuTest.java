package nla.model;

import nla.GoldenFixtures;
import nla.backend.DeviceSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The layer placement on one GPU: {@code cuda:0,0} holds the model as two partitions on the same
 * card, with the residual stream handed from one to the other, and must compute what {@code cuda:0}
 * computes, bit for bit (same kernels, same shapes): blocks, logits, greedy and sampled generation.
 */
@Tag("gpu")
class PartitionedGpuTest {
  @ParameterizedTest
  @ValueSource(strings = {"qwen2", "gemma3-text"})
  void twoPartitionsOnOneGpuComputeWhatOneDoes(String name) {
    var dir = GoldenFixtures.modelDir(name);
    try (LanguageModel one = LanguageModel.load(dir, DeviceSpec.parse("cuda:0"), 2, false);
        LanguageModel two = LanguageModel.load(dir, DeviceSpec.parse("cuda:0,0"), 2, false)) {
      PartitionedModelTest.assertSameOutputs(name, one, two);
    }
  }
}
