package io.omnistream.gpu.onnx;

/**
 * The element types of ONNX's {@code TensorProto.DataType} that a weight or constant can have, with their code in
 * the file and their size in {@code raw_data}. It exists so that the reader can turn every storage variant of a
 * tensor (raw bytes or one of the typed repeated fields) into one little-endian layout.
 */
public enum OnnxDataType {
    UNDEFINED(0, 0),
    FLOAT(1, 4),
    UINT8(2, 1),
    INT8(3, 1),
    UINT16(4, 2),
    INT16(5, 2),
    INT32(6, 4),
    INT64(7, 8),
    STRING(8, 0),
    BOOL(9, 1),
    FLOAT16(10, 2),
    DOUBLE(11, 8),
    UINT32(12, 4),
    UINT64(13, 8),
    COMPLEX64(14, 8),
    COMPLEX128(15, 16),
    BFLOAT16(16, 2);

    private final int code;
    private final int size;

    OnnxDataType(int code, int size) {
        this.code = code;
        this.size = size;
    }

    /** The value of {@code TensorProto.data_type} in the file. */
    public int code() {
        return code;
    }

    /** Bytes per element in {@code raw_data}; 0 for strings. */
    public int elementSize() {
        return size;
    }

    public static OnnxDataType of(int code) {
        for (OnnxDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown ONNX data type " + code);
    }
}
