package nla.io.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;
import nla.io.UserError;

/**
 * The Hugging Face hub cache on disk, laid out exactly as {@code huggingface_hub} lays it out, so
 * that either side reuses what the other downloaded:
 *
 * <pre>
 * CACHE/models--owner--name/  (datasets--owner--name/ for a dataset)
 *   blobs/&lt;etag&gt;                   file contents, named by the git blob sha1 or, for LFS files, the sha256
 *   blobs/&lt;etag&gt;.incomplete        a download in progress (resumed from its length)
 *   refs/&lt;revision&gt;                the commit hash a branch or tag pointed to when last fetched
 *   snapshots/&lt;commit&gt;/&lt;path&gt;     relative symlinks into ../../blobs (one more ../ per subfolder)
 * CACHE/.locks/models--owner--name/&lt;etag&gt;.lock
 * </pre>
 */
public final class HubCache {
  // CACHEDIR.TAG, the cross-tool convention that tells backup tools to skip the folder; written
  // by huggingface_hub too.
  private static final String CACHEDIR_TAG =
      "Signature: 8a477f597d28d172789f06886806bc55\n"
          + "# This file is a cache directory tag created by huggingface_hub.\n"
          + "# For information about cache directory tags, see:\n"
          + "#\thttps://bford.info/cachedir/\n";

  private final Path root;

  public HubCache(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  public Path repoDir(RepoId repo) {
    return root.resolve(repo.cacheFolderName());
  }

  /** The commit a revision stands for in the cache: itself if a commit hash, else refs/REV. */
  public Optional<String> commitFor(RepoId repo) {
    if (repo.revisionIsCommit()) return Optional.of(repo.revision());
    Path ref = refFile(repo, repo.revision());
    if (!Files.isRegularFile(ref)) return Optional.empty();
    try {
      String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
      return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
    } catch (IOException e) {
      throw new UserError(ref + ": cannot read the cached revision: " + e.getMessage(), e);
    }
  }

  /** The snapshot folder of the repo's revision, if the cache has one. */
  public Optional<Path> snapshot(RepoId repo) {
    return commitFor(repo).map(c -> snapshotDir(repo, c)).filter(Files::isDirectory);
  }

  public Path snapshotDir(RepoId repo, String commit) {
    if (!RepoId.isCommitHash(commit)) {
      throw new UserError(
          repo.id() + ": the Hub gave '" + commit + "', which is not a commit hash");
    }
    return repoDir(repo).resolve("snapshots").resolve(commit);
  }

  /** Where a repo file appears in a snapshot; refuses paths that would leave the snapshot. */
  public Path pointer(RepoId repo, String commit, String repoPath) {
    Path snapshot = snapshotDir(repo, commit);
    Path pointer = snapshot.resolve(repoPath).normalize();
    if (repoPath.isEmpty()
        || repoPath.startsWith("/")
        || repoPath.contains("\\")
        || !pointer.startsWith(snapshot)
        || pointer.equals(snapshot)) {
      throw new UserError(repo.id() + ": refusing the unsafe file path '" + repoPath + "'");
    }
    return pointer;
  }

  public Path blob(RepoId repo, String etag) {
    if (etag.isEmpty() || etag.contains("/") || etag.contains("\\") || etag.startsWith(".")) {
      throw new UserError(repo.id() + ": refusing the unsafe etag '" + etag + "'");
    }
    return repoDir(repo).resolve("blobs").resolve(etag);
  }

  /**
   * The file a download of {@code etag} grows in; its length is where a resumed download starts.
   */
  public Path incompleteBlob(RepoId repo, String etag) {
    Path blob = blob(repo, etag);
    return blob.resolveSibling(blob.getFileName() + ".incomplete");
  }

  public Path lockFile(RepoId repo, String etag) {
    return root.resolve(".locks").resolve(repo.cacheFolderName()).resolve(etag + ".lock");
  }

  public Path refFile(RepoId repo, String revision) {
    Path refs = repoDir(repo).resolve("refs");
    Path ref = refs.resolve(revision).normalize();
    if (!ref.startsWith(refs) || ref.equals(refs)) {
      throw new UserError(repo.id() + ": refusing the unsafe revision '" + revision + "'");
    }
    return ref;
  }

  /** Creates the cache root with its CACHEDIR.TAG, and the repo's blob folder. */
  public void prepare(RepoId repo) throws IOException {
    Files.createDirectories(repoDir(repo).resolve("blobs"));
    Path tag = root.resolve("CACHEDIR.TAG");
    if (!Files.exists(tag)) {
      try {
        Files.writeString(tag, CACHEDIR_TAG, StandardCharsets.UTF_8);
      } catch (FileAlreadyExistsException raced) {
        // another process wrote it first: same content
      }
    }
  }

  /** Moves a finished download into place under its etag, atomically. */
  public void placeBlob(Path incomplete, Path blob) throws IOException {
    moveAtomically(incomplete, blob);
  }

  /**
   * Makes {@code snapshots/COMMIT/PATH} a relative symlink to the blob. The link is made under a
   * temporary name and renamed over the final one, so a reader never sees a half-made pointer.
   */
  public void link(RepoId repo, String commit, String repoPath, String etag) throws IOException {
    Path pointer = pointer(repo, commit, repoPath);
    Path blob = blob(repo, etag);
    Files.createDirectories(pointer.getParent());
    // Relative, as huggingface_hub makes them: the cache folder can be moved or mounted elsewhere.
    Path target = pointer.getParent().relativize(blob);
    Path tmp =
        pointer.resolveSibling("." + pointer.getFileName() + "." + UUID.randomUUID() + ".tmp");
    Files.createSymbolicLink(tmp, target);
    try {
      moveAtomically(tmp, pointer);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Records that {@code revision} pointed to {@code commit} (nothing to do for a commit hash). */
  public void writeRef(RepoId repo, String commit) throws IOException {
    if (repo.revision().equals(commit)) return;
    Path ref = refFile(repo, repo.revision());
    Files.createDirectories(ref.getParent());
    if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).equals(commit))
      return;
    Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID() + ".tmp");
    // No trailing newline: huggingface_hub reads the file verbatim as the commit hash.
    Files.writeString(tmp, commit, StandardCharsets.UTF_8);
    try {
      moveAtomically(tmp, ref);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
