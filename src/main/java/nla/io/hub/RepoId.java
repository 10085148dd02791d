package nla.io.hub;

import java.util.Optional;
import java.util.regex.Pattern;
import nla.io.UserError;

/**
 * A Hugging Face repository, {@code owner/name}, at a revision (a branch, a tag or a commit hash;
 * {@code main} when none is given), of a type: a model (the default) or a dataset. Written {@code
 * owner/name@revision} on the command line; the type comes from {@code --repo-type}.
 */
public record RepoId(String owner, String name, String revision, Type type) {
  public static final String DEFAULT_REVISION = "main";

  /** What the Hub keeps under a repo id; each type has its own API path and cache folder prefix. */
  public enum Type {
    MODEL("models", ""),
    DATASET("datasets", "datasets/");

    /** The plural huggingface_hub uses in API paths and cache folder names. */
    final String plural;

    /** What precedes {@code owner/name} in a file's URL. */
    final String urlPrefix;

    Type(String plural, String urlPrefix) {
      this.plural = plural;
      this.urlPrefix = urlPrefix;
    }

    /** {@code model} or {@code dataset}, as {@code --repo-type} takes it. */
    public static Type parse(String s) {
      for (Type t : values()) if (t.name().equalsIgnoreCase(s)) return t;
      throw new UserError("--repo-type: expected model or dataset, not '" + s + "'");
    }
  }

  /** A model repository. */
  public RepoId(String owner, String name, String revision) {
    this(owner, name, revision, Type.MODEL);
  }

  // The Hub's own rule (huggingface_hub validate_repo_id): word characters, '-' and '.', no
  // leading/trailing '-' or '.', no "--" or "..", at most 96 characters in all.
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9_](?:[\\w.\\-]*[A-Za-z0-9_])?");
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

  public RepoId {
    if (!isValidName(owner) || !isValidName(name) || owner.length() + 1 + name.length() > 96) {
      throw new UserError(owner + "/" + name + ": not a valid Hugging Face repo id");
    }
    if (revision == null || revision.isBlank()) revision = DEFAULT_REVISION;
    if (type == null) type = Type.MODEL;
    if (!isValidRevision(revision)) {
      throw new UserError(owner + "/" + name + "@" + revision + ": not a valid revision");
    }
  }

  /** Parses {@code owner/name[@revision]}; a user error if it is not one. */
  public static RepoId parse(String text) {
    return tryParse(text)
        .orElseThrow(
            () ->
                new UserError(
                    text + ": not a Hugging Face repo id (expected owner/name[@revision])"));
  }

  /** Parses {@code owner/name[@revision]}, or empty when the text does not have that shape. */
  public static Optional<RepoId> tryParse(String text) {
    if (text == null) return Optional.empty();
    int at = text.indexOf('@');
    String id = at < 0 ? text : text.substring(0, at);
    String revision = at < 0 ? DEFAULT_REVISION : text.substring(at + 1);
    int slash = id.indexOf('/');
    if (slash < 0 || id.indexOf('/', slash + 1) >= 0) return Optional.empty();
    String owner = id.substring(0, slash);
    String name = id.substring(slash + 1);
    if (!isValidName(owner) || !isValidName(name) || id.length() > 96) return Optional.empty();
    if (!isValidRevision(revision)) return Optional.empty();
    return Optional.of(new RepoId(owner, name, revision));
  }

  private static boolean isValidRevision(String revision) {
    return !revision.isEmpty()
        && !revision.contains("..")
        && !revision.startsWith("/")
        && !revision.endsWith("/")
        && !revision.contains("\\");
  }

  private static boolean isValidName(String part) {
    return part != null
        && PART.matcher(part).matches()
        && !part.contains("--")
        && !part.contains("..");
  }

  /** True when the revision is already a full commit hash (nothing to resolve). */
  public boolean revisionIsCommit() {
    return isCommitHash(revision);
  }

  public static boolean isCommitHash(String s) {
    return s != null && COMMIT.matcher(s).matches();
  }

  /** {@code owner/name}, without the revision. */
  public String id() {
    return owner + "/" + name;
  }

  public RepoId atRevision(String newRevision) {
    return new RepoId(owner, name, newRevision, type);
  }

  public RepoId ofType(Type newType) {
    return new RepoId(owner, name, revision, newType);
  }

  /**
   * The repository's folder in the cache, as huggingface_hub names it: {@code models--owner--name}
   * or {@code datasets--owner--name}.
   */
  public String cacheFolderName() {
    return type.plural + "--" + owner + "--" + name;
  }

  /** The listing API's path: {@code /api/models/owner/name} or {@code /api/datasets/owner/name}. */
  String apiPath() {
    return "/api/" + type.plural + "/" + id();
  }

  /** The repository's web path: {@code /owner/name}, or {@code /datasets/owner/name}. */
  String urlPath() {
    return "/" + type.urlPrefix + id();
  }

  @Override
  public String toString() {
    return DEFAULT_REVISION.equals(revision) ? id() : id() + "@" + revision;
  }
}
