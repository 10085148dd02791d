package nla.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files of float vectors: written as little-endian float32 in C order (format
 * 1.0), read from little-endian float32 or float64, 1-D ([d], read as one row) or 2-D ([n, d]).
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** Reads a [n, d] or [d] float array as rows. */
  public static float[][] read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
      if (size < 10 || ch.read(head, 0) < 10) throw bad(file, "too short to be a .npy file");
      for (int i = 0; i < MAGIC.length; i++) {
        if (head.get(i) != MAGIC[i]) throw bad(file, "not a .npy file (bad magic)");
      }
      int major = head.get(6);
      long headerLen;
      long dataStart;
      if (major == 1) {
        headerLen = Short.toUnsignedInt(head.getShort(8));
        dataStart = 10 + headerLen;
      } else if (major == 2 || major == 3) {
        ByteBuffer h4 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(h4, 8);
        headerLen = Integer.toUnsignedLong(h4.getInt(0));
        dataStart = 12 + headerLen;
      } else {
        throw bad(file, "unsupported .npy format version " + major);
      }
      if (dataStart > size) throw bad(file, "header runs past the end of the file");
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      ch.read(hb, dataStart - headerLen);
      String header = new String(hb.array(), StandardCharsets.ISO_8859_1);
      String descr = match(DESCR, header, file, "descr");
      if ("True".equals(match(FORTRAN, header, file, "fortran_order"))) {
        throw bad(file, "Fortran-order arrays are not supported; save with C order");
      }
      long[] shape = shape(match(SHAPE, header, file, "shape"), file);
      int elemSize =
          switch (descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            default ->
                throw bad(file, "dtype " + descr + " is not supported (use float32 or float64)");
          };
      long n;
      long d;
      if (shape.length == 1) {
        n = 1;
        d = shape[0];
      } else if (shape.length == 2) {
        n = shape[0];
        d = shape[1];
      } else {
        throw bad(file, "expected a 1-D or 2-D array, got " + shape.length + " dimensions");
      }
      long dataBytes;
      try {
        dataBytes = Math.multiplyExact(Math.multiplyExact(n, d), elemSize);
      } catch (ArithmeticException e) {
        throw bad(file, "shape " + java.util.Arrays.toString(shape) + " is too large");
      }
      if (dataStart + dataBytes != size) {
        throw bad(file, "data size does not match shape " + java.util.Arrays.toString(shape));
      }
      if (n * d > Integer.MAX_VALUE) throw bad(file, "array too large");
      ByteBuffer data =
          ch.map(FileChannel.MapMode.READ_ONLY, dataStart, n * d * elemSize)
              .order(ByteOrder.LITTLE_ENDIAN);
      float[][] rows = new float[(int) n][(int) d];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) {
          rows[i][j] = elemSize == 4 ? data.getFloat() : (float) data.getDouble();
        }
      }
      return rows;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new UserError(file + ": no such file", e);
    } catch (IOException e) {
      throw new UserError(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Writes rows as a float32 [n, d] array, atomically (a partial file never has the final name).
   */
  public static void write(Path file, float[][] rows) {
    int n = rows.length;
    int d = n == 0 ? 0 : rows[0].length;
    for (float[] r : rows) {
      if (r.length != d)
        throw new IllegalArgumentException("ragged rows: " + r.length + " vs " + d);
    }
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ", " + d + "), }";
    int unpadded = 10 + dict.length() + 1;
    int pad = (64 - unpadded % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteBuffer buf =
        ByteBuffer.allocate(10 + header.length() + 4 * n * d).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    buf.put(header.getBytes(StandardCharsets.ISO_8859_1));
    for (float[] r : rows) for (float x : r) buf.putFloat(x);
    if (Files.isDirectory(file))
      throw new UserError(file + ": is a directory; expected the path of a .npy file to write");
    Path tmp = null;
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      tmp = Files.createTempFile(parent, file.getFileName().toString(), ".part");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        out.write(buf.array());
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // No half-written .part file is left behind beside the user's files.
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original error is the one to report
        }
      }
      throw new UserError(file + ": cannot write: " + e.getMessage(), e);
    }
  }

  /**
   * The sizes of a header's shape tuple, e.g. {@code "4, 16"}. A size may carry Python 2's long
   * suffix ({@code 16L}), as files written by numpy under Python 2 have and numpy still reads.
   */
  private static long[] shape(String tuple, Path file) {
    List<Long> sizes = new ArrayList<>();
    for (String part : tuple.split(",")) {
      String size = part.strip();
      if (size.isEmpty()) continue;
      if (size.endsWith("L") || size.endsWith("l")) size = size.substring(0, size.length() - 1);
      long value;
      try {
        value = Long.parseLong(size);
      } catch (NumberFormatException e) {
        throw bad(file, "header shape (" + tuple + ") has '" + part.strip() + "', not a size");
      }
      if (value < 0) throw bad(file, "header shape (" + tuple + ") has a negative size");
      sizes.add(value);
    }
    return sizes.stream().mapToLong(Long::longValue).toArray();
  }

  private static String match(Pattern p, String header, Path file, String key) {
    Matcher m = p.matcher(header);
    if (!m.find()) throw bad(file, "header has no '" + key + "'");
    return m.group(1);
  }

  private static UserError bad(Path file, String what) {
    return new UserError(file + ": " + what);
  }
}
