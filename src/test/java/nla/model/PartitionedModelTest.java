package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nla.GoldenFixtures;
import nla.backend.Backend;
import nla.backend.cpu.CpuBackend;
import nla.io.ModelWeights;
import nla.io.StoredTensor;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A model spread over several backends (the placement `--device cuda:0,1` uses), checked on CPU
 * backends: each row's arithmetic is the same wherever it runs, so two or three partitions must
 * give bit for bit what one gives — block outputs, logits, greedy and sampled generation, shared
 * prefixes, and extraction that runs only the first blocks.
 */
class PartitionedModelTest {

  private static List<Backend> cpus(int n) {
    List<Backend> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(new CpuBackend(2));
    return out;
  }

  @Test
  void blocksAreSplitIntoConsecutiveRunsAsEvenAsTheyGo() {
    List<Transformer.Partition> p = Transformer.partition(28, cpus(3));
    assertEquals(List.of(0, 10, 19), p.stream().map(Transformer.Partition::firstBlock).toList());
    assertEquals(List.of(10, 19, 28), p.stream().map(Transformer.Partition::endBlock).toList());
    assertThrows(UserError.class, () -> Transformer.partition(2, cpus(3)));
  }

  @Test
  void devicesThatCountTheirMemoryTakeBlocksInProportionToIt() {
    long g = 1L << 30;
    // 80 layers (Llama-3.3-70B) over a GPU with 70 GiB free and one with 35 GiB free.
    assertArrayEquals(new int[] {53, 27}, Transformer.blockCounts(80, new long[] {70 * g, 35 * g}));
    assertArrayEquals(new int[] {40, 40}, Transformer.blockCounts(80, new long[] {9 * g, 9 * g}));
    // Every device keeps at least one block, however little it has free.
    assertArrayEquals(new int[] {3, 1}, Transformer.blockCounts(4, new long[] {1000 * g, 1}));
    // One device that does not count its memory (the CPU): an even split.
    assertArrayEquals(
        new int[] {41, 40}, Transformer.blockCounts(81, new long[] {9 * g, Long.MAX_VALUE}));
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2", "llama3", "gemma3-text", "gemma3-mm"})
  void partitionsGiveWhatOneBackendGives(String name) {
    var dir = GoldenFixtures.modelDir(name);
    try (LanguageModel one = LanguageModel.load(dir, cpus(1));
        LanguageModel two = LanguageModel.load(dir, cpus(2));
        LanguageModel three = LanguageModel.load(dir, cpus(3))) {
      for (LanguageModel m : List.of(two, three)) {
        assertEquals(m == two ? 2 : 3, m.device().split(" \\+ ").length, m.device());
        assertSameOutputs(name, one, m);
      }
    }
  }

  /**
   * Bit for bit: every block's output, extraction that runs the first block only, a last-token head
   * read from the first block and from the last (on the first and the last partition), all logits,
   * and greedy and sampled (seeded, biased) generation.
   */
  static void assertSameOutputs(String name, LanguageModel one, LanguageModel other) {
    int layers = one.config().numLayers();
    int[] all = new int[layers];
    for (int k = 0; k < layers; k++) all[k] = k;
    List<SequenceInput> batch =
        List.of(
            SequenceInput.ofIds(new int[] {5, 17, 300, 42, 9, 1000, 77}),
            SequenceInput.ofIds(new int[] {5, 17, 300, 8}));
    List<float[][][]> a = one.hiddenStates(batch, all);
    List<float[][][]> b = other.hiddenStates(batch, all);
    for (int s = 0; s < a.size(); s++)
      for (int k = 0; k < layers; k++)
        for (int t = 0; t < a.get(s)[k].length; t++)
          assertArrayEquals(a.get(s)[k][t], b.get(s)[k][t], name + " block " + k);
    assertArrayEquals(
        one.hiddenStates(batch, new int[] {0}).get(0)[0][3],
        other.hiddenStates(batch, new int[] {0}).get(0)[0][3]);
    // The embedding table serves as a head's weight: any [out, hidden] matrix does.
    try (ModelWeights weights = ModelWeights.open(one.dir())) {
      StoredTensor table = weights.get(ModelWeightNames.detect(weights, name).embed());
      for (int block : new int[] {0, layers - 1}) {
        float[][] ha = one.lastTokenHead(block, table).apply(batch);
        float[][] hb = other.lastTokenHead(block, table).apply(batch);
        for (int s = 0; s < ha.length; s++) {
          assertArrayEquals(ha[s], hb[s], name + " head at block " + block + ", sequence " + s);
        }
      }
    }
    float[][] la = one.logits(batch.get(0));
    float[][] lb = other.logits(batch.get(0));
    for (int t = 0; t < la.length; t++) assertArrayEquals(la[t], lb[t], name + " logits " + t);
    List<GenerationRequest> reqs =
        List.of(
            new GenerationRequest(batch.get(0), SamplingParams.greedy().withMaxNewTokens(8)),
            new GenerationRequest(
                batch.get(1),
                new SamplingParams(0.9, 0.95, 40, 1234, 8, true, Map.of(1000, -1e9f))));
    List<Generation> ga = one.generate(reqs);
    List<Generation> gb = other.generate(reqs);
    for (int i = 0; i < ga.size(); i++) {
      assertArrayEquals(ga.get(i).outputIds(), gb.get(i).outputIds(), name + " request " + i);
    }
  }
}
