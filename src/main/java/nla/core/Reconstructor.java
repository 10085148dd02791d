package nla.core;

import java.util.List;

/** Text → vector: the AR half of an NLA (contract §5). */
public interface Reconstructor {
  /** One raw (unnormalised) value-head output [d] per explanation. */
  float[][] reconstruct(List<String> explanations);

  int dModel();

  /**
   * The norm predictions and gold vectors are scaled to before mse_nrm and the FVE denominator
   * (contract §5): the checkpoint's mse_scale, √d_model by default; null = raw (no scaling).
   */
  Double mseNorm();
}
