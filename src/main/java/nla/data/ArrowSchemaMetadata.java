package nla.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.Base64;
import java.util.List;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The {@code ARROW:schema} key-value metadata of an activation parquet.
 *
 * <p>Parquet has no fixed-size list: a {@code fixed_size_list<float32>[d]} column is stored as a
 * plain LIST, and Arrow readers (pyarrow, arrow-rs, arrow-go) restore the fixed size from the Arrow
 * schema that the writer serialised, base64-encoded, under this key. Without it pyarrow reads the
 * vectors back as a variable {@code list<float>}. The value is an Arrow IPC schema message
 * (continuation marker, length, flatbuffer), written here by Arrow's own serializer.
 */
final class ArrowSchemaMetadata {
  static final String KEY = "ARROW:schema";

  private ArrowSchemaMetadata() {}

  /** The contract §6 schema for vectors of width {@code dModel}. */
  static Schema activationSchema(int dModel) {
    FieldType int64 = FieldType.nullable(new ArrowType.Int(64, true));
    FieldType utf8 = FieldType.nullable(ArrowType.Utf8.INSTANCE);
    Field item =
        new Field(
            "item",
            FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
            null);
    return new Schema(
        List.of(
            new Field("n_raw_tokens", int64, null),
            new Field("detokenized_text_truncated", utf8, null),
            new Field(
                "activation_vector",
                FieldType.nullable(new ArrowType.FixedSizeList(dModel)),
                List.of(item)),
            new Field("activation_layer", int64, null),
            new Field("doc_id", utf8, null)));
  }

  /** The base64 text of the serialised schema, as pyarrow writes it. */
  static String encode(Schema schema) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (WriteChannel channel = new WriteChannel(Channels.newChannel(bytes))) {
      MessageSerializer.serialize(channel, schema);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  /** Reads back a serialised schema (the check that ours parses as Arrow). */
  static Schema decode(String base64) {
    byte[] bytes = Base64.getDecoder().decode(base64);
    try (var channel =
        new org.apache.arrow.vector.ipc.ReadChannel(
            Channels.newChannel(new java.io.ByteArrayInputStream(bytes)))) {
      return MessageSerializer.deserializeSchema(channel);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
