package nla.io.hub;

import java.util.List;

/** The files of a repository at the commit its revision resolved to. */
public record RepoListing(RepoId repo, String commit, List<RepoFile> files) {
  public RepoListing {
    files = List.copyOf(files);
  }
}
