package nla.study;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import nla.data.ActivationParquet;
import nla.data.ActivationRow;
import nla.io.Npy;
import nla.io.UserError;

/** Loads an {@link ActivationSet}: an activation parquet (contract §6) or a float32 .npy [n, d]. */
public final class ActivationSets {
  private ActivationSets() {}

  public static ActivationSet load(Path file) {
    if (!Files.isRegularFile(file)) throw new UserError("activation file not found: " + file);
    String name = file.getFileName().toString();
    String hash = RunDir.sha256(file);
    if (name.endsWith(".parquet")) {
      List<ActivationRow> rows = ActivationParquet.read(file);
      if (rows.isEmpty()) throw new UserError(file + ": no rows");
      List<float[]> v = new ArrayList<>();
      List<String> ctx = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      List<Integer> positions = new ArrayList<>();
      for (ActivationRow r : rows) {
        v.add(r.activationVector());
        ctx.add(r.detokenizedTextTruncated());
        ids.add(r.docId());
        positions.add(r.position());
      }
      return new ActivationSet(name, v, ctx, ids, hash, positions);
    }
    if (name.endsWith(".npy")) {
      float[][] m = Npy.read(file);
      if (m.length == 0) throw new UserError(file + ": no rows");
      return new ActivationSet(name, Arrays.asList(m), null, null, hash);
    }
    throw new UserError(file + ": expected an activation .parquet or a .npy file");
  }
}
