package io.omnistream.connectors.kafka.serde;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.util.Utf8;

/**
 * A binary Avro decoder over one byte array that refuses any length prefix larger than the bytes that are left.
 * Avro's own decoder allocates whatever a (possibly corrupt) length prefix asks for, up to 2 GiB, so a few garbage
 * bytes on a topic could take a task manager down with an OutOfMemoryError; here they become a decode error.
 */
final class BoundedBinaryDecoder extends Decoder {

    private final ByteArrayInputStream in;
    private final BinaryDecoder d;

    BoundedBinaryDecoder(byte[] bytes) {
        this.in = new ByteArrayInputStream(bytes);
        // the direct decoder does not read ahead, so in.available() is exactly what is left
        this.d = DecoderFactory.get().directBinaryDecoder(in, null);
    }

    int remaining() {
        return in.available();
    }

    private int checkedLength(long length, String what) throws IOException {
        if (length < 0 || length > remaining()) {
            throw new EOFException(what + " length " + length + " exceeds the " + remaining() + " bytes left");
        }
        return (int) length;
    }

    private long checkedCount(long count, String what) throws IOException {
        // every item of our schemas takes at least one byte
        if (count < 0) {
            // negative block count: the absolute value follows with a byte size
            long size = d.readLong();
            checkedLength(size, what + " block");
            count = -count;
        }
        if (count > remaining()) {
            throw new EOFException(what + " count " + count + " exceeds the " + remaining() + " bytes left");
        }
        return count;
    }

    @Override
    public void readNull() throws IOException {
        d.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return d.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return d.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return d.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return d.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return d.readDouble();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = checkedLength(d.readLong(), "string");
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        d.readFixed(result.getBytes(), 0, length);
        return result;
    }

    @Override
    public String readString() throws IOException {
        int length = checkedLength(d.readLong(), "string");
        byte[] bytes = new byte[length];
        d.readFixed(bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void skipString() throws IOException {
        skipFixed(checkedLength(d.readLong(), "string"));
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = checkedLength(d.readLong(), "bytes");
        byte[] bytes = new byte[length];
        d.readFixed(bytes, 0, length);
        return ByteBuffer.wrap(bytes);
    }

    @Override
    public void skipBytes() throws IOException {
        skipFixed(checkedLength(d.readLong(), "bytes"));
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        checkedLength(length, "fixed");
        d.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
        checkedLength(length, "fixed");
        d.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
        return d.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
        return checkedCount(d.readLong(), "array");
    }

    @Override
    public long arrayNext() throws IOException {
        return checkedCount(d.readLong(), "array");
    }

    @Override
    public long skipArray() throws IOException {
        return d.skipArray();
    }

    @Override
    public long readMapStart() throws IOException {
        return checkedCount(d.readLong(), "map");
    }

    @Override
    public long mapNext() throws IOException {
        return checkedCount(d.readLong(), "map");
    }

    @Override
    public long skipMap() throws IOException {
        return d.skipMap();
    }

    @Override
    public int readIndex() throws IOException {
        return d.readIndex();
    }
}
