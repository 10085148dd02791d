package nla.model;

/**
 * Rotary position embedding of one attention type, as transformers' {@code rope_init_fn}s compute
 * it: {@code type} is "default", "linear" (inverse frequencies divided by {@code factor}) or
 * "llama3" (frequency-dependent scaling with low/high frequency factors around the original context
 * length).
 */
public record RopeSpec(
    double theta,
    String type,
    double factor,
    double lowFreqFactor,
    double highFreqFactor,
    double originalMaxPositions) {

  public static RopeSpec plain(double theta) {
    return new RopeSpec(theta, "default", 1, 0, 0, 0);
  }

  /**
   * The inverse frequencies for a head of {@code headDim}, in fp32 as transformers computes them:
   * {@code 1 / theta^(2i/dim)}, then the scaling.
   */
  public float[] inverseFrequencies(int headDim) {
    float[] inv = new float[headDim / 2];
    for (int i = 0; i < inv.length; i++) {
      float exponent = (float) (2 * i) / headDim;
      inv[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
    }
    switch (type) {
      case "default" -> {}
      case "linear" -> {
        for (int i = 0; i < inv.length; i++) inv[i] = (float) (inv[i] / factor);
      }
      case "llama3" -> scaleLlama3(inv);
      default -> throw new IllegalStateException("rope type " + type);
    }
    return inv;
  }

  // transformers _compute_llama3_parameters: long wavelengths are divided by factor, short ones
  // kept, the band between them interpolated smoothly.
  private void scaleLlama3(float[] inv) {
    double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
    double highFreqWavelen = originalMaxPositions / highFreqFactor;
    for (int i = 0; i < inv.length; i++) {
      float f = inv[i];
      float wavelen = (float) (2 * Math.PI / f);
      float scaled = wavelen > lowFreqWavelen ? (float) (f / factor) : f;
      boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
      if (medium) {
        float smooth =
            (float)
                ((originalMaxPositions / wavelen - lowFreqFactor)
                    / (highFreqFactor - lowFreqFactor));
        scaled = (float) ((1 - smooth) * scaled / factor + smooth * scaled);
      }
      inv[i] = scaled;
    }
  }
}
