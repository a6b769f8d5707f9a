package io.omnistream.connectors.kafka.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Encodes and decodes one of our generated Avro classes as plain binary Avro (no framing, no schema id).
 *
 * <p>Why no schema registry: every producer and consumer of our topics is built from the same {@code schemas}
 * module and the schemas are kept backward- and forward-compatible by a test, so the writer schema is always the
 * reader schema of the same build; a registry would add a network dependency and a per-record header on the
 * 20 ms media path for nothing. Decoding is strict: trailing bytes and impossible lengths are errors, so garbage
 * rarely decodes "successfully".
 *
 * <p>Serializable (only the class travels), so Flink functions can hold one. Thread-safe.
 */
public final class AvroCodec<T extends SpecificRecordBase> implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private transient Schema schema;
    private transient SpecificDatumWriter<T> writer;
    private transient SpecificDatumReader<T> reader;

    private AvroCodec(Class<T> type) {
        this.type = Objects.requireNonNull(type);
    }

    /** A codec for the given generated class. */
    public static <T extends SpecificRecordBase> AvroCodec<T> of(Class<T> type) {
        return new AvroCodec<>(type);
    }

    public Class<T> type() {
        return type;
    }

    public Schema schema() {
        init();
        return schema;
    }

    /** Binary Avro of {@code record}. */
    public byte[] encode(T record) {
        init();
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Decodes binary Avro.
     *
     * @throws MalformedRecordException if the bytes are not exactly one record of this type
     */
    public T decode(byte[] bytes) {
        init();
        if (bytes == null) {
            throw new MalformedRecordException("null value");
        }
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder(bytes);
        T record;
        try {
            record = reader.read(null, decoder);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            throw new MalformedRecordException(
                    "not a binary Avro " + type.getSimpleName() + " (" + e.getClass().getSimpleName() + ": "
                            + e.getMessage() + ")",
                    e);
        }
        if (decoder.remaining() != 0) {
            throw new MalformedRecordException(decoder.remaining() + " trailing bytes after a "
                    + type.getSimpleName() + " of " + (bytes.length - decoder.remaining()) + " bytes");
        }
        return record;
    }

    private void init() {
        if (reader == null) {
            SpecificData data = SpecificData.getForClass(type);
            Schema s = data.getSchema(type);
            writer = new SpecificDatumWriter<>(s, data);
            reader = new SpecificDatumReader<>(s, s, data);
            schema = s;
        }
    }

    @Override
    public String toString() {
        return "AvroCodec[" + type.getName() + "]";
    }
}
