package nla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import nla.io.ModelPaths;
import nla.io.ModelWeights;
import nla.io.SafeTensors;
import nla.model.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code nla inspect DIR}: what a checkpoint is, from its config and safetensors headers. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description =
        "Describe a model directory: architecture, sizes, dtype, tensors (reads headers only).")
public final class InspectCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "Model directory.")
  String dir;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ObjectNode out = describe(ModelPaths.resolve(dir));
    if (json) {
      spec.commandLine().getOut().println(new ObjectMapper().writeValueAsString(out));
    } else {
      var w = spec.commandLine().getOut();
      out.fields().forEachRemaining(e -> w.println(e.getKey() + ": " + e.getValue()));
    }
    return 0;
  }

  /**
   * The inspect JSON: {@code model_type, architecture, num_layers, d_model, vocab_size, dtype,
   * tensors, sidecar}, and for an AV {@code av_prompt_ids, injection_position}.
   */
  public static ObjectNode describe(Path dir) {
    ModelConfig config = ModelConfig.load(dir);
    Map<String, Long> bytesByDtype = new TreeMap<>();
    int tensors = 0;
    for (SafeTensors.Header h : ModelWeights.readHeaders(dir)) {
      for (SafeTensors.Entry e : h.entries().values()) {
        tensors++;
        bytesByDtype.merge(torchName(e.dtype()), e.byteCount(), Long::sum);
      }
    }
    String dtype =
        bytesByDtype.entrySet().stream()
            .max(Map.Entry.comparingByValue())
            .map(Map.Entry::getKey)
            .orElse(null);
    ObjectNode out = new ObjectMapper().createObjectNode();
    out.put("model_type", config.modelType());
    out.put("architecture", config.architecture());
    out.put("num_layers", config.numLayers());
    out.put("d_model", config.hiddenSize());
    out.put("vocab_size", config.vocabSize());
    out.put("dtype", dtype);
    out.put("tensors", tensors);
    // The NLA part (sidecar, canonical AV prompt, injection position) comes from nla.core, which
    // also runs every load-time check of the sidecar against the tokenizer and config.
    ObjectMapper mapper = new ObjectMapper();
    nla.core.LiveChecks.inspectFields(dir, config)
        .forEach((key, value) -> out.set(key, mapper.valueToTree(value)));
    return out;
  }

  private static String torchName(nla.io.DType d) {
    return switch (d) {
      case BF16 -> "bfloat16";
      case F16 -> "float16";
      case F32 -> "float32";
    };
  }
}
