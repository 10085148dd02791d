package nla.linalg;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/** Regression problems with a known answer: a planted linear map plus Gaussian noise. */
public final class PlantedMaps {
  private PlantedMaps() {}

  /** x ~ N(0, I_d); y = x·W + σ·noise with W orthogonal, so per-dim signal variance is 1. */
  public static DMatrixRMaj[] planted(int n, int d, double sigma, DMatrixRMaj w, Random rng) {
    DMatrixRMaj x = new DMatrixRMaj(n, d);
    for (int i = 0; i < x.data.length; i++) x.data[i] = rng.nextGaussian();
    DMatrixRMaj y = new DMatrixRMaj(n, d);
    CommonOps_DDRM.mult(x, w, y);
    for (int i = 0; i < y.data.length; i++) y.data[i] += sigma * rng.nextGaussian();
    return new DMatrixRMaj[] {x, y};
  }

  public static DMatrixRMaj orthogonal(int d, Random rng) {
    DMatrixRMaj a = new DMatrixRMaj(d, d);
    for (int i = 0; i < a.data.length; i++) a.data[i] = rng.nextGaussian();
    var qr = org.ejml.dense.row.factory.DecompositionFactory_DDRM.qr(d, d);
    qr.decompose(a);
    return qr.getQ(null, false);
  }
}
