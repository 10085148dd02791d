package nla.backend;

/**
 * A stored model weight as the backend keeps it: a [rows, cols] matrix (an nn.Linear weight, an
 * embedding table) or a vector (cols = 1 row of a norm or bias), in its stored dtype.
 */
public interface Weight {
  int rows();

  int cols();
}
