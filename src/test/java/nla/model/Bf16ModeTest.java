package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import nla.io.UserError;
import nla.model.bench.BenchShape;
import nla.model.bench.Benchmark;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The opt-in bf16 mode's parity bound on a whole model: small random Qwen2, Llama and Gemma 3
 * models whose every product fits the AMX tiles, against the fp32 engine (which matches
 * transformers' fp32 to ~2e-6, HuggingFaceParityTest). Rounding each product's activations to bf16
 * (8 significant bits) moves the logits by well under 2% of their range; and the mode stays
 * batch-invariant.
 */
class Bf16ModeTest {
  @TempDir Path dir;

  /** Small random models of each family whose every product fits the AMX tiles. */
  static List<BenchShape> tileShaped() {
    return List.of(
        new BenchShape("qwen2-tiles", "qwen2", 128, 256, 3, 4, 2, 32, 512, true),
        new BenchShape("llama-tiles", "llama", 128, 256, 3, 4, 2, 32, 512, false),
        new BenchShape("gemma3-tiles", "gemma3_text", 128, 256, 3, 4, 2, 32, 512, true));
  }

  @ParameterizedTest
  @MethodSource("tileShaped")
  void logitsStayWithinTheBf16BoundAndGenerationIsBatchInvariant(BenchShape shape) {
    Path model = Benchmark.writeRandomModel(shape, dir.resolve("m"));
    int[] prompt = new int[40];
    for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 37 + 11) % shape.vocab();
    LanguageModel fp32 = LanguageModel.load(model, 2);
    float[][] reference = fp32.logits(SequenceInput.ofIds(prompt));
    fp32.close();
    if (nla.backend.cpu.CpuBackend.bf16Unavailable() != null) {
      UserError e = assertThrows(UserError.class, () -> LanguageModel.load(model, 2, true));
      assertTrue(e.getMessage().startsWith("bf16 mode is unavailable: "), e.getMessage());
      return;
    }
    try (LanguageModel bf16 = LanguageModel.load(model, 2, true)) {
      float[][] logits = bf16.logits(SequenceInput.ofIds(prompt));
      double range = 0, worst = 0;
      for (int t = 0; t < prompt.length; t++) {
        for (int v = 0; v < reference[t].length; v++) {
          range = Math.max(range, Math.abs(reference[t][v]));
          worst = Math.max(worst, Math.abs(reference[t][v] - logits[t][v]));
        }
      }
      assertTrue(worst <= 1e-2 * range, "max |Δlogit| " + worst + " vs range " + range);
      assertTrue(worst > 0, "the bf16 mode must actually round (else the tiles did not run)");

      List<GenerationRequest> requests = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        int[] p = prompt.clone();
        p[p.length - 1] = (p[p.length - 1] + r) % shape.vocab();
        requests.add(
            new GenerationRequest(
                SequenceInput.ofIds(p), SamplingParams.greedy().withMaxNewTokens(8)));
      }
      List<Generation> together = bf16.generate(requests);
      for (int r = 0; r < requests.size(); r++) {
        Generation alone = bf16.generate(List.of(requests.get(r))).get(0);
        assertArrayEquals(alone.outputIds(), together.get(r).outputIds(), "request " + r);
        assertEquals(alone.finishReason(), together.get(r).finishReason());
      }
    }
  }
}
