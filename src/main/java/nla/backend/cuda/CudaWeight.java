package nla.backend.cuda;

import nla.backend.Weight;

/**
 * A weight in device memory: a matrix as bf16 (the operand of the products), a vector (a norm, a
 * bias) as fp32 holding its bf16 value, as transformers holds a bf16 model's weights.
 */
record CudaWeight(long pointer, int rows, int cols, boolean matrix) implements Weight {}
