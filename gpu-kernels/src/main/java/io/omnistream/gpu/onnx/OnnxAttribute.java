package io.omnistream.gpu.onnx;

import java.util.List;

/**
 * One attribute of a node ({@code AttributeProto}). Only the field that matches {@link #type()} is meaningful; the
 * others are empty. Sub-graphs (the branches of {@code If}, the body of {@code Loop}) are read as {@link OnnxGraph}s
 * because models such as Silero VAD keep their weights inside them.
 */
public record OnnxAttribute(String name, Type type, float f, long i, byte[] s, StoredTensor t, OnnxGraph g,
        List<Float> floats, List<Long> ints, List<byte[]> strings, List<StoredTensor> tensors, List<OnnxGraph> graphs) {

    /** {@code AttributeProto.AttributeType}, by code. */
    public enum Type {
        UNDEFINED, FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS, SPARSE_TENSOR,
        SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS;

        static Type of(int code) {
            Type[] all = values();
            if (code < 0 || code >= all.length) {
                throw new IllegalArgumentException("unknown ONNX attribute type " + code);
            }
            return all[code];
        }
    }

    /** The string value decoded as UTF-8. */
    public String string() {
        return s == null ? null : new String(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The INTS value as an int array. */
    public int[] intArray() {
        int[] a = new int[ints.size()];
        for (int k = 0; k < a.length; k++) {
            a[k] = Math.toIntExact(ints.get(k));
        }
        return a;
    }

    @Override
    public String toString() {
        return name + "=" + switch (type) {
            case FLOAT -> Float.toString(f);
            case INT -> Long.toString(i);
            case STRING -> string();
            case TENSOR -> String.valueOf(t);
            case GRAPH -> "graph " + g.name();
            case FLOATS -> floats.toString();
            case INTS -> ints.toString();
            default -> type.toString();
        };
    }
}
