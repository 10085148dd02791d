package nla.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import nla.io.UserError;

/** A folder of {@code .txt} files, one document each, in file-name order, decoded strictly. */
final class TextFolderCorpus implements Corpus {
  private final Path dir;
  private final List<Path> files;

  TextFolderCorpus(Path dir, List<Path> files) {
    this.dir = dir;
    this.files = files;
  }

  @Override
  public Path path() {
    return dir;
  }

  @Override
  public long size() {
    return files.size();
  }

  @Override
  public Iterator<Document> documents(long from) {
    return new Iterator<>() {
      int i = (int) Math.min(from, files.size());

      @Override
      public boolean hasNext() {
        return i < files.size();
      }

      @Override
      public Document next() {
        if (!hasNext()) throw new NoSuchElementException();
        Path file = files.get(i);
        long index = i++;
        try {
          byte[] bytes = Files.readAllBytes(file);
          String text =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(bytes))
                  .toString();
          return Document.of(index, text);
        } catch (CharacterCodingException e) {
          return Document.unreadable(index, file.getFileName() + " is not valid UTF-8");
        } catch (IOException e) {
          throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
      }
    };
  }
}
