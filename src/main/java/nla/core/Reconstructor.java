package nla.core;

import java.util.List;

/** Text → vector: the AR half of an NLA (contract §5). */
public interface Reconstructor {
  /** One raw (unnormalised) value-head output [d] per explanation. */
  float[][] reconstruct(List<String> explanations);

  int dModel();
}
