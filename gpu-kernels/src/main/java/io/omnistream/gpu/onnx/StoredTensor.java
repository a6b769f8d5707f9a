package io.omnistream.gpu.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor stored in an ONNX file: a graph initializer or the {@code value} of a {@code Constant} node. The data
 * is kept as little-endian bytes in the layout of {@code raw_data}, whichever field the file used, so the encoders
 * read their weights the same way from every exporter (PyTorch writes {@code raw_data}, some tools the typed
 * fields). Immutable.
 */
public final class StoredTensor {
    private final String name;
    private final long[] dims;
    private final OnnxDataType dataType;
    private final byte[] data;

    public StoredTensor(String name, long[] dims, OnnxDataType dataType, byte[] data) {
        this.name = name;
        this.dims = dims.clone();
        this.dataType = dataType;
        this.data = data;
        long n = elementCount();
        if (dataType.elementSize() > 0 && data.length != n * dataType.elementSize()) {
            throw new IllegalArgumentException("tensor " + name + " " + Arrays.toString(dims) + " of " + dataType
                    + " holds " + data.length + " bytes, expected " + n * dataType.elementSize());
        }
    }

    public String name() {
        return name;
    }

    public long[] dims() {
        return dims.clone();
    }

    /** Dimensions as ints (weights of the encoders are small); fails on a dimension that does not fit. */
    public int[] shape() {
        int[] s = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            s[i] = Math.toIntExact(dims[i]);
        }
        return s;
    }

    public OnnxDataType dataType() {
        return dataType;
    }

    /** Product of the dimensions (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** The raw little-endian bytes, read-only. */
    public ByteBuffer rawData() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The values of a FLOAT tensor, row-major. */
    /**
     * The floats of initializer {@code name} of {@code weights}, checked against the {@code shape} an encoder's kernel
     * sequence expects; otherwise an {@link IllegalStateException} saying that the file is not {@code graph}.
     */
    public static float[] take(java.util.Map<String, StoredTensor> weights, String graph, String name, int... shape) {
        StoredTensor t = weights.get(name);
        if (t == null) {
            throw new IllegalStateException("not the " + graph + " graph this encoder implements: weight " + name + " is missing");
        }
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalStateException("not the " + graph + " graph this encoder implements: weight " + name + " has shape "
                    + java.util.Arrays.toString(t.shape()) + ", expected " + java.util.Arrays.toString(shape));
        }
        return t.floats();
    }

    public float[] floats() {
        require(OnnxDataType.FLOAT);
        float[] f = new float[(int) elementCount()];
        rawData().asFloatBuffer().get(f);
        return f;
    }

    /** The values of an INT64 tensor, or of any integer tensor widened to long. */
    public long[] longs() {
        int n = (int) elementCount();
        long[] v = new long[n];
        ByteBuffer b = rawData();
        for (int i = 0; i < n; i++) {
            v[i] = switch (dataType) {
                case INT64, UINT64 -> b.getLong(8 * i);
                case INT32 -> b.getInt(4 * i);
                case UINT32 -> Integer.toUnsignedLong(b.getInt(4 * i));
                case INT16 -> b.getShort(2 * i);
                case UINT16 -> Short.toUnsignedInt(b.getShort(2 * i));
                case INT8 -> b.get(i);
                case UINT8, BOOL -> Byte.toUnsignedInt(b.get(i));
                default -> throw new IllegalStateException("tensor " + name + " is " + dataType + ", not an integer type");
            };
        }
        return v;
    }

    private void require(OnnxDataType t) {
        if (dataType != t) {
            throw new IllegalStateException("tensor " + name + " is " + dataType + ", not " + t);
        }
    }

    @Override
    public String toString() {
        return name + " " + dataType + Arrays.toString(dims);
    }
}
