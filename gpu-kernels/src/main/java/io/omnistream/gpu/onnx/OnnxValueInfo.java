package io.omnistream.gpu.onnx;

import java.util.List;

/**
 * A graph input or output as declared in the file ({@code ValueInfoProto} with a tensor type): its name, element
 * type and shape, where a dimension is either a number or a symbolic name such as {@code "batch"}. Used to check a
 * model file's contract before its weights are trusted.
 *
 * @param name     value name
 * @param elemType element type, {@link OnnxDataType#UNDEFINED} when the file gives no tensor type
 * @param dims     one entry per dimension: the size, or -1 when symbolic or unknown
 * @param dimNames one entry per dimension: the symbolic name, or {@code null}
 */
public record OnnxValueInfo(String name, OnnxDataType elemType, List<Long> dims, List<String> dimNames) {
    public OnnxValueInfo {
        dims = List.copyOf(dims);
        dimNames = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(dimNames));
    }
}
