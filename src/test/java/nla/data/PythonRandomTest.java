package nla.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.XZInputStream;

/**
 * PythonRandom and PositionSampler against values computed by real CPython
 * (tools/golden/python_positions.py).
 */
class PythonRandomTest {
  private static JsonNode golden;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream raw =
            PythonRandomTest.class.getResourceAsStream(
                "/golden/positions/python_positions.json.xz");
        InputStream in = new XZInputStream(raw)) {
      golden = new ObjectMapper().readTree(in);
    }
  }

  private static byte[] hex(JsonNode node) {
    return HexFormat.of().parseHex(node.asText());
  }

  @Test
  void mersenneTwisterStreamsMatchCPythonForBytesSeeds() {
    int seeds = 0;
    for (JsonNode c : golden.get("mt")) {
      PythonRandom rng = new PythonRandom(hex(c.get("seed_hex")));
      int i = 0;
      for (JsonNode v : c.get("uint32")) {
        assertEquals(v.asLong(), rng.nextUint32(), "seed " + c.get("seed_hex") + " draw " + i++);
      }
      for (JsonNode pair : c.get("getrandbits")) {
        int width = pair.get(0).asInt();
        assertEquals(new BigInteger(pair.get(1).asText()), rng.getrandbits(width), "bits " + width);
      }
      for (JsonNode pair : c.get("randbelow")) {
        assertEquals(pair.get(1).asLong(), rng.randbelow(pair.get(0).asLong()), "below " + pair);
      }
      for (JsonNode f : c.get("random")) {
        assertEquals(Double.parseDouble(f.asText()), rng.random());
      }
      seeds++;
    }
    assertEquals(5, seeds);
  }

  @Test
  void sampleMatchesCPythonWithBothPoolAndSetAlgorithms() {
    Set<String> algorithms = new HashSet<>();
    for (JsonNode c : golden.get("sample")) {
      int n = c.get("n").asInt();
      List<Integer> population = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        population.add(c.get("population_start").asInt() + i * c.get("population_step").asInt());
      }
      List<Integer> expected = new ArrayList<>();
      c.get("result").forEach(v -> expected.add(v.asInt()));
      List<Integer> actual =
          new PythonRandom(hex(c.get("seed_hex"))).sample(population, c.get("k").asInt());
      assertEquals(expected, actual, "n=" + n + " k=" + c.get("k"));
      String algorithm = n <= PythonRandom.setSize(c.get("k").asInt()) ? "pool" : "set";
      assertEquals(c.get("algorithm").asText(), algorithm, "setsize heuristic n=" + n);
      algorithms.add(algorithm);
    }
    assertEquals(Set.of("pool", "set"), algorithms);
  }

  @Test
  void integerSeededSampleOfARangeMatchesCPythonForTheEvalSetDraw() {
    int cases = 0;
    for (JsonNode c : golden.get("int_seed_sample")) {
      long rows = c.get("rows").asLong();
      int n = c.get("n").asInt();
      List<Long> population = new ArrayList<>();
      for (long i = 0; i < rows; i++) population.add(i);
      List<Long> expected = new ArrayList<>();
      c.get("result").forEach(v -> expected.add(v.asLong()));
      PythonRandom rng = new PythonRandom(new BigInteger(c.get("seed").asText()));
      assertEquals(expected, rng.sample(population, n), "seed " + c.get("seed") + " rows " + rows);
      if (c.get("seed").asText().length() < 19) {
        long[] sorted = expected.stream().mapToLong(Long::longValue).sorted().toArray();
        assertArrayEquals(sorted, EvalSet.draw(rows, n, c.get("seed").asLong()));
      }
      cases++;
    }
    assertEquals(30, cases);
  }

  @Test
  void datasetIdMatchesTheReferenceHashOfModelLayerCorpusAndSlice() {
    for (JsonNode c : golden.get("dataset_id")) {
      assertEquals(
          c.get("dataset_id").asText(),
          DatasetSidecar.datasetId(
              c.get("base_model").asText(),
              c.get("layer").asInt(),
              c.get("corpus").asText(),
              c.get("start").asLong(),
              c.get("length").asLong()));
    }
    assertEquals(3, golden.get("dataset_id").size());
  }

  @Test
  void positionSamplerMatchesReferenceSamplePositionsOnManyDocsAndSeeds() {
    int cases = 0;
    Set<String> algorithms = new HashSet<>();
    for (JsonNode c : golden.get("positions")) {
      int length = c.get("length").asInt();
      int[] ids = new int[length];
      for (int i = 0; i < length; i++) ids[i] = 1000 + (i % 500);
      for (JsonNode p : c.get("special_positions")) ids[p.asInt()] = 7;
      List<Integer> expected = new ArrayList<>();
      c.get("positions").forEach(v -> expected.add(v.asInt()));
      PositionSampler sampler = new PositionSampler(c.get("seed").asLong(), c.get("k").asInt());
      List<Integer> actual = sampler.sample(c.get("doc_id").asText(), ids, id -> id == 7);
      assertEquals(expected, actual, c.get("doc_id") + " seed " + c.get("seed"));
      assertEquals(
          c.get("n_candidates").asInt(), PositionSampler.candidates(ids, id -> id == 7).size());
      algorithms.add(c.get("algorithm").asText());
      cases++;
    }
    assertEquals(234, cases);
    assertEquals(Set.of("pool", "set", "none"), algorithms);
  }
}
