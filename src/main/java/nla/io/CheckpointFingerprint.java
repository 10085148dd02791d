package nla.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * What identifies a checkpoint's weights for a resumed job, read in milliseconds rather than
 * hashing tens of gigabytes: every small file (config, tokenizer, index) in full, and for each
 * large file its name, size, first megabyte (the safetensors header: names, dtypes, shapes,
 * offsets) and {@value #SAMPLES} blocks of {@value #SAMPLE_BYTES} bytes spread evenly over the
 * rest. Fine-tuning changes every tensor, so retrained weights of the same shapes differ in the
 * samples, which a hash of headers alone would miss; a byte-identical copy elsewhere (other path,
 * other mtime) matches.
 */
public final class CheckpointFingerprint {
  private static final long LARGE = 64L << 20;
  private static final int HEAD = 1 << 20;
  static final int SAMPLES = 64;
  static final int SAMPLE_BYTES = 4096;

  private CheckpointFingerprint() {}

  /** SHA-256 (hex) over the regular files directly in {@code modelDir}, as described above. */
  public static String of(Path modelDir) {
    try (Stream<Path> files = Files.list(modelDir)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        md.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        long size = Files.size(f);
        md.update(Long.toString(size).getBytes(StandardCharsets.UTF_8));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
          if (size <= LARGE) {
            md.update(read(ch, 0, (int) size));
          } else {
            md.update(read(ch, 0, HEAD));
            long span = size - HEAD - SAMPLE_BYTES;
            for (int i = 0; i < SAMPLES; i++)
              md.update(read(ch, HEAD + span / (SAMPLES - 1) * i, SAMPLE_BYTES));
          }
        }
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UserError("cannot read checkpoint " + modelDir + ": " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] read(FileChannel ch, long at, int n) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(n);
    while (buf.hasRemaining()) {
      if (ch.read(buf, at + buf.position()) < 0) break;
    }
    return buf.array();
  }
}
