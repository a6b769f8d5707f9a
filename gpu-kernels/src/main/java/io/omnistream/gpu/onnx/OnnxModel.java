package io.omnistream.gpu.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * An ONNX model file as data ({@code ModelProto}): header fields, operator-set versions and the main graph. The GPU
 * encoders take their weights from it and check its structure against the layer sequence they implement; nothing
 * here executes a graph.
 *
 * @param irVersion       {@code ir_version}
 * @param producerName    {@code producer_name} (e.g. "pytorch", "tf2onnx", "spox")
 * @param producerVersion {@code producer_version}
 * @param domain          {@code domain}
 * @param modelVersion    {@code model_version}
 * @param opsets          operator-set version by domain ("" is the default ONNX domain)
 * @param graph           the main graph
 */
public record OnnxModel(long irVersion, String producerName, String producerVersion, String domain, long modelVersion,
        Map<String, Long> opsets, OnnxGraph graph) {

    public OnnxModel {
        opsets = Map.copyOf(opsets);
    }

    /** Reads a model file; weights stored outside the file ({@code data_location = EXTERNAL}) are not supported. */
    public static OnnxModel read(Path file) throws IOException {
        return OnnxReader.parseModel(Files.readAllBytes(file));
    }

    /** Parses the bytes of a model file. */
    public static OnnxModel parse(byte[] bytes) throws IOException {
        return OnnxReader.parseModel(bytes);
    }

    /** Version of the default ONNX operator set, or -1 when the file imports none. */
    public long defaultOpset() {
        return opsets.getOrDefault("", -1L);
    }
}
