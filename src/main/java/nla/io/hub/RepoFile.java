package nla.io.hub;

/**
 * One file of a repository at a commit, as the Hub lists it.
 *
 * @param path the path inside the repository, '/'-separated
 * @param size its size in bytes (the real content size for an LFS file, not the pointer's)
 * @param etag the name of its blob in the cache: the LFS sha256 for LFS files, else the git blob
 *     sha1 (what the Hub sends as {@code X-Linked-Etag} or {@code ETag})
 * @param sha256 the content's sha256 for an LFS file, null for a plain git file
 */
public record RepoFile(String path, long size, String etag, String sha256) {
  public boolean isLfs() {
    return sha256 != null;
  }
}
