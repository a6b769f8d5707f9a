package io.omnistream.gpu.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A graph of an ONNX model ({@code GraphProto}): nodes in file order (topologically sorted, as ONNX requires),
 * initializers, declared inputs and outputs. Sub-graphs hang off their nodes' attributes.
 *
 * <p>Weights may live in initializers or in {@code Constant} nodes (Silero VAD's exporter puts every weight into
 * {@code Constant} nodes inside the {@code If} branches); {@link #constants()} gives both by value name.
 */
public record OnnxGraph(String name, List<OnnxNode> nodes, List<StoredTensor> initializers, List<OnnxValueInfo> inputs,
        List<OnnxValueInfo> outputs) {

    public OnnxGraph {
        nodes = List.copyOf(nodes);
        initializers = List.copyOf(initializers);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** Initializers of this graph by name. */
    public Map<String, StoredTensor> initializerMap() {
        Map<String, StoredTensor> m = new LinkedHashMap<>();
        for (StoredTensor t : initializers) {
            m.put(t.name(), t);
        }
        return m;
    }

    /**
     * Initializers and the {@code value} tensors of {@code Constant} nodes of this graph (not of its sub-graphs),
     * keyed by the value name the nodes refer to.
     */
    public Map<String, StoredTensor> constants() {
        Map<String, StoredTensor> m = initializerMap();
        for (OnnxNode n : nodes) {
            if ("Constant".equals(n.opType()) && n.attribute("value").map(OnnxAttribute::t).isPresent()) {
                m.put(n.outputs().get(0), n.attribute("value").get().t());
            }
        }
        return m;
    }

    /** The nodes of one operator type, in order (this graph only). */
    public List<OnnxNode> nodes(String opType) {
        List<OnnxNode> out = new ArrayList<>();
        for (OnnxNode n : nodes) {
            if (n.opType().equals(opType)) {
                out.add(n);
            }
        }
        return out;
    }

    /** The node of this graph that produces {@code valueName}. */
    public Optional<OnnxNode> producer(String valueName) {
        for (OnnxNode n : nodes) {
            if (n.outputs().contains(valueName)) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /** The node with this name in this graph. */
    public Optional<OnnxNode> node(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst();
    }

    /** Every node of this graph and, depth first, of its sub-graphs. */
    public List<OnnxNode> allNodes() {
        List<OnnxNode> out = new ArrayList<>();
        collect(this, out);
        return out;
    }

    private static void collect(OnnxGraph g, List<OnnxNode> out) {
        for (OnnxNode n : g.nodes) {
            out.add(n);
            for (OnnxAttribute a : n.attributes().values()) {
                if (a.g() != null) {
                    collect(a.g(), out);
                }
                for (OnnxGraph sub : a.graphs()) {
                    collect(sub, out);
                }
            }
        }
    }

    public OnnxValueInfo input(String inputName) {
        return inputs.stream().filter(v -> v.name().equals(inputName)).findFirst()
                .orElseThrow(() -> new IllegalStateException("graph " + name + " has no input " + inputName));
    }

    public OnnxValueInfo output(String outputName) {
        return outputs.stream().filter(v -> v.name().equals(outputName)).findFirst()
                .orElseThrow(() -> new IllegalStateException("graph " + name + " has no output " + outputName));
    }
}
