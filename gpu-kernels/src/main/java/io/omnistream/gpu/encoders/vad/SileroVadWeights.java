package io.omnistream.gpu.encoders.vad;

import io.omnistream.gpu.onnx.OnnxGraph;
import io.omnistream.gpu.onnx.OnnxModel;
import io.omnistream.gpu.onnx.OnnxNode;
import io.omnistream.gpu.onnx.StoredTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The 16 kHz weights of Silero VAD v5, taken from the model file, and the check that the file's 16 kHz graph is the
 * layer sequence {@link SileroVadEncoder} implements. The check fails with a message naming what differs, so a
 * different export or version of the model is refused instead of being run wrongly.
 *
 * <p>Where things live in {@code silero_vad_v5.onnx}: the main graph branches on {@code sr == 16000} ({@code If});
 * the 16 kHz {@code then_branch} holds every weight as a {@code Constant} node named after the PyTorch parameter
 * ({@code stft.forward_basis_buffer}, {@code encoder.K.reparam_conv.weight|bias}, {@code decoder.rnn.weight_ih|
 * weight_hh|bias_ih|bias_hh}, {@code decoder.decoder.2.weight|bias}). Layouts are PyTorch's: conv weights
 * {@code [out][in][k]}, LSTM gate rows in the order input, forget, cell, output (the file's {@code Slice} nodes
 * reorder them to ONNX's i, o, f, c, which {@link #load} verifies).
 */
public final class SileroVadWeights {
    /** STFT basis rows: 129 real then 129 imaginary filters of {@value SileroVadEncoder#FFT} taps. */
    public static final int BASIS_ROWS = 2 * SileroVadEncoder.BINS;

    final float[] basis;
    final float[][] convW = new float[SileroVadEncoder.LAYERS][];
    final float[][] convB = new float[SileroVadEncoder.LAYERS][];
    final float[] wIh;
    final float[] wHh;
    final float[] bIh;
    final float[] bHh;
    final float[] decW;
    final float decB;
    final int reflectPad;

    private SileroVadWeights(Map<String, StoredTensor> w, int reflectPad) {
        this.basis = take(w, "stft.forward_basis_buffer", BASIS_ROWS, 1, SileroVadEncoder.FFT);
        for (int l = 0; l < SileroVadEncoder.LAYERS; l++) {
            convW[l] = take(w, "encoder." + l + ".reparam_conv.weight", SileroVadEncoder.CONV_OUT[l], SileroVadEncoder.CONV_IN[l],
                    SileroVadEncoder.KERNEL);
            convB[l] = take(w, "encoder." + l + ".reparam_conv.bias", SileroVadEncoder.CONV_OUT[l]);
        }
        int h = SileroVadEncoder.HIDDEN;
        this.wIh = take(w, "decoder.rnn.weight_ih", 4 * h, h);
        this.wHh = take(w, "decoder.rnn.weight_hh", 4 * h, h);
        this.bIh = take(w, "decoder.rnn.bias_ih", 4 * h);
        this.bHh = take(w, "decoder.rnn.bias_hh", 4 * h);
        this.decW = take(w, "decoder.decoder.2.weight", 1, h, 1);
        this.decB = take(w, "decoder.decoder.2.bias", 1)[0];
        this.reflectPad = reflectPad;
    }

    public static SileroVadWeights load(Path modelFile) throws IOException {
        return load(OnnxModel.read(modelFile));
    }

    /** Finds the 16 kHz branch, checks its structure and copies its weights. */
    public static SileroVadWeights load(OnnxModel model) {
        OnnxGraph main = model.graph();
        List<String> inputs = main.inputs().stream().map(v -> v.name()).toList();
        if (!inputs.containsAll(List.of("input", "state", "sr"))) {
            throw new IllegalStateException("not Silero VAD v5: the model's inputs are " + inputs + ", expected input, state, sr");
        }
        OnnxGraph branch = branch16k(main);
        Map<String, StoredTensor> constants = branch.constants();
        Map<String, StoredTensor> byParameter = new java.util.HashMap<>();
        for (Map.Entry<String, StoredTensor> e : constants.entrySet()) {
            String name = e.getKey();
            int cut = name.indexOf("__", name.indexOf("Inline_"));
            byParameter.put(cut >= 0 ? name.substring(cut + 2) : name, e.getValue());
        }
        int pad = checkStructure(branch, constants);
        return new SileroVadWeights(byParameter, pad);
    }

    /** The {@code then_branch} of the {@code If} whose condition is {@code Equal(sr, 16000)}. */
    static OnnxGraph branch16k(OnnxGraph main) {
        Map<String, StoredTensor> constants = main.constants();
        for (OnnxNode ifNode : main.nodes("If")) {
            Optional<OnnxNode> cond = main.producer(ifNode.inputs().get(0));
            if (cond.isPresent() && cond.get().opType().equals("Equal") && cond.get().inputs().contains("sr")) {
                for (String in : cond.get().inputs()) {
                    StoredTensor c = constants.get(in);
                    if (c != null && c.longs().length == 1 && c.longs()[0] == SileroVadEncoder.SAMPLE_RATE) {
                        return ifNode.graphAttribute("then_branch");
                    }
                }
            }
        }
        throw new IllegalStateException("not Silero VAD v5: no If on sr == 16000 in the main graph");
    }

    /** Verifies the op sequence of the 16 kHz branch; returns the right reflect padding of the STFT input. */
    private static int checkStructure(OnnxGraph b, Map<String, StoredTensor> constants) {
        OnnxNode pad = single(b, "Pad");
        require("reflect".equals(pad.stringAttribute("mode", "constant")), "STFT padding is not reflect: " + pad);
        int[] lr = padAmounts(b, pad, constants);
        require(lr[0] == 0, "STFT pads on the left: " + Arrays.toString(lr));
        List<OnnxNode> convs = b.nodes("Conv");
        require(convs.size() == 2 + SileroVadEncoder.LAYERS, "expected 6 Conv nodes in the 16 kHz branch, found " + convs.size());
        OnnxNode stft = convs.get(0);
        require(Arrays.equals(stft.intsAttribute("kernel_shape", null), new int[] {SileroVadEncoder.FFT})
                && Arrays.equals(stft.intsAttribute("strides", null), new int[] {SileroVadEncoder.HOP}),
                "STFT conv is not kernel 256 / stride 128: " + stft.attributes());
        require((SileroVadEncoder.WINDOW + lr[1] - SileroVadEncoder.FFT) / SileroVadEncoder.HOP + 1 == SileroVadEncoder.FRAMES,
                "STFT would not yield " + SileroVadEncoder.FRAMES + " frames with right padding " + lr[1]);
        for (int l = 0; l < SileroVadEncoder.LAYERS; l++) {
            OnnxNode c = convs.get(1 + l);
            require(c.inputs().get(1).endsWith("encoder." + l + ".reparam_conv.weight"), "encoder conv " + l + " is " + c);
            require(Arrays.equals(c.intsAttribute("kernel_shape", null), new int[] {SileroVadEncoder.KERNEL})
                    && Arrays.equals(c.intsAttribute("pads", null), new int[] {1, 1})
                    && Arrays.equals(c.intsAttribute("strides", null), new int[] {SileroVadEncoder.STRIDE[l]}),
                    "encoder conv " + l + " attributes differ: " + c.attributes());
        }
        OnnxNode dec = convs.get(1 + SileroVadEncoder.LAYERS);
        require(dec.inputs().get(1).endsWith("decoder.decoder.2.weight"), "decoder conv is " + dec);
        require(b.nodes("Relu").size() == SileroVadEncoder.LAYERS + 1 && b.nodes("Sigmoid").size() == 1
                && b.nodes("ReduceMean").size() == 1 && b.nodes("Sqrt").size() == 1, "activation/magnitude nodes differ");
        List<OnnxNode> lstms = b.allNodes().stream().filter(n -> n.opType().equals("LSTM")).toList();
        require(!lstms.isEmpty(), "no LSTM node in the 16 kHz branch");
        for (OnnxNode lstm : lstms) {
            require(lstm.intAttribute("hidden_size", -1) == SileroVadEncoder.HIDDEN, "LSTM hidden size differs: " + lstm.attributes());
            require(lstm.attribute("clip").isEmpty() && lstm.attribute("activations").isEmpty()
                    && "forward".equals(lstm.stringAttribute("direction", "forward"))
                    && lstm.intAttribute("input_forget", 0) == 0, "LSTM is not a plain forward LSTM: " + lstm.attributes());
        }
        checkGateOrder(b);
        return lr[1];
    }

    /**
     * The exporter builds the ONNX LSTM's W from {@code weight_ih} as Concat(Slice[0:128], Slice[384:512],
     * Slice[128:384]): PyTorch's (i, f, g, o) rows rearranged to ONNX's (i, o, f, c). Confirms the PyTorch order.
     */
    private static void checkGateOrder(OnnxGraph b) {
        List<OnnxNode> all = b.allNodes();
        Map<String, StoredTensor> consts = new java.util.HashMap<>();
        collectConstants(b, consts);
        List<OnnxNode> slices = all.stream().filter(n -> n.opType().equals("Slice") && n.inputs().get(0).endsWith("decoder.rnn.weight_ih"))
                .toList();
        require(slices.size() >= 3, "no Slice nodes on decoder.rnn.weight_ih");
        int h = SileroVadEncoder.HIDDEN;
        long[][] expected = {{0, h}, {3L * h, 4L * h}, {h, 3L * h}};
        for (int k = 0; k < 3; k++) {
            OnnxNode s = slices.get(k);
            long start = consts.get(s.inputs().get(1)).longs()[0];
            long end = consts.get(s.inputs().get(2)).longs()[0];
            require(start == expected[k][0] && end == expected[k][1],
                    "LSTM gate slice " + k + " is [" + start + ":" + end + "], expected PyTorch order i,f,g,o re-sliced to i,o,f,c");
        }
    }

    private static void collectConstants(OnnxGraph g, Map<String, StoredTensor> out) {
        out.putAll(g.constants());
        for (OnnxNode n : g.nodes()) {
            for (var a : n.attributes().values()) {
                if (a.g() != null) {
                    collectConstants(a.g(), out);
                }
            }
        }
    }

    /** Follows the Pad node's {@code pads} input back to the (left, right) pair PyTorch's F.pad was given. */
    private static int[] padAmounts(OnnxGraph b, OnnxNode pad, Map<String, StoredTensor> constants) {
        String v = pad.inputs().get(1);
        for (int depth = 0; depth < 16; depth++) {
            StoredTensor c = constants.get(v);
            if (c != null) {
                long[] p = c.longs();
                if (p.length == 2) {
                    return new int[] {(int) p[0], (int) p[1]};
                }
                break;
            }
            Optional<OnnxNode> producer = b.producer(v);
            if (producer.isEmpty()) {
                break;
            }
            v = producer.get().inputs().get(0);
        }
        throw new IllegalStateException("cannot trace the STFT padding amounts of " + pad);
    }

    private static OnnxNode single(OnnxGraph b, String op) {
        List<OnnxNode> n = b.nodes(op);
        require(n.size() == 1, "expected one " + op + " node in the 16 kHz branch, found " + n.size());
        return n.get(0);
    }

    private static float[] take(Map<String, StoredTensor> w, String name, int... shape) {
        return StoredTensor.take(w, "Silero VAD v5 16 kHz", name, shape);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException("not the Silero VAD v5 16 kHz graph this encoder implements: " + message);
        }
    }

    /** Right reflect padding of the STFT input (64 samples in v5). */
    public int reflectPad() {
        return reflectPad;
    }

    /** Number of float parameters (for sizing device memory). */
    public int parameterCount() {
        int n = basis.length + wIh.length + wHh.length + bIh.length + bHh.length + decW.length + 1;
        for (int l = 0; l < SileroVadEncoder.LAYERS; l++) {
            n += convW[l].length + convB[l].length;
        }
        return n;
    }

    // Read-only copies for GPU upload and tests.
    public float[] basis() { return basis.clone(); }
    public float[] convWeight(int layer) { return convW[layer].clone(); }
    public float[] convBias(int layer) { return convB[layer].clone(); }
    public float[] lstmWeightIh() { return wIh.clone(); }
    public float[] lstmWeightHh() { return wHh.clone(); }
    public float[] lstmBiasIh() { return bIh.clone(); }
    public float[] lstmBiasHh() { return bHh.clone(); }
    public float[] decoderWeight() { return decW.clone(); }
    public float decoderBias() { return decB; }
}
