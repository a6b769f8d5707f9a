package io.omnistream.gpu.onnx;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One operator of a graph ({@code NodeProto}): its type, inputs and outputs by value name (an empty name is an
 * omitted optional input), and attributes by name. The encoders check the nodes of a model against the layer
 * sequence they implement, so a different export of the model fails loudly instead of computing something else.
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
        Map<String, OnnxAttribute> attributes) {

    public OnnxNode {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(attributes));
    }

    public Optional<OnnxAttribute> attribute(String attributeName) {
        return Optional.ofNullable(attributes.get(attributeName));
    }

    /** An INT attribute, or {@code fallback} when absent (ONNX defaults). */
    public long intAttribute(String attributeName, long fallback) {
        OnnxAttribute a = attributes.get(attributeName);
        return a == null ? fallback : a.i();
    }

    /** An INTS attribute, or {@code fallback} when absent. */
    public int[] intsAttribute(String attributeName, int[] fallback) {
        OnnxAttribute a = attributes.get(attributeName);
        return a == null ? fallback : a.intArray();
    }

    /** A STRING attribute, or {@code fallback} when absent. */
    public String stringAttribute(String attributeName, String fallback) {
        OnnxAttribute a = attributes.get(attributeName);
        return a == null ? fallback : a.string();
    }

    /** A GRAPH attribute such as an {@code If} node's {@code then_branch}. */
    public OnnxGraph graphAttribute(String attributeName) {
        OnnxAttribute a = attributes.get(attributeName);
        if (a == null || a.g() == null) {
            throw new IllegalStateException("node " + name + " (" + opType + ") has no graph attribute " + attributeName);
        }
        return a.g();
    }

    @Override
    public String toString() {
        return opType + " " + name + " " + inputs + " -> " + outputs;
    }
}
