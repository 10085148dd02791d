package nla.io.hub;

/** Hears how a download goes; the terminal bar and the quiet mode implement it. */
public interface DownloadProgress {
  /**
   * @param totalBytes the bytes of all blobs this run fetches
   * @param alreadyBytes the part of them already on disk from an interrupted run
   * @param files how many blobs this run fetches
   */
  void start(long totalBytes, long alreadyBytes, int files);

  /** Bytes arrived (negative when a server ignored a resume and the file starts over). */
  void advance(long bytes);

  void fileDone(String path);

  void finish();

  static DownloadProgress quiet() {
    return new DownloadProgress() {
      @Override
      public void start(long totalBytes, long alreadyBytes, int files) {}

      @Override
      public void advance(long bytes) {}

      @Override
      public void fileDone(String path) {}

      @Override
      public void finish() {}
    };
  }
}
