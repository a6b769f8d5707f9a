package io.omnistream.gpu.encoders.face;

import io.omnistream.gpu.onnx.OnnxGraph;
import io.omnistream.gpu.onnx.OnnxModel;
import io.omnistream.gpu.onnx.OnnxNode;
import io.omnistream.gpu.onnx.StoredTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * BlazeFace's weights from {@code face_detection_front_128x128.onnx} (tf2onnx export of MediaPipe's model), and the
 * check that the file's convolutions are the ones {@link BlazeFaceEncoder} implements: per block the channel widths,
 * strides and paddings of {@link #BLOCKS}. Weights are found by their TensorFlow variable names
 * ({@code functional_1/depthwise_conv2d_K}, {@code functional_1/conv2d_K}); layouts are ONNX's
 * ({@code [out][in/group][kh][kw]}).
 */
public final class BlazeFaceWeights {
    private static final String PREFIX = "StatefulPartitionedCall/functional_1/";

    /** One residual block: input and output channels, depthwise stride. */
    public record Block(int in, int out, int stride) {}

    /** The 16 blocks of the front model, in order. */
    public static final List<Block> BLOCKS = List.of(
            new Block(24, 24, 1), new Block(24, 28, 1), new Block(28, 32, 2), new Block(32, 36, 1), new Block(36, 42, 1),
            new Block(42, 48, 2), new Block(48, 56, 1), new Block(56, 64, 1), new Block(64, 72, 1), new Block(72, 80, 1),
            new Block(80, 88, 1), new Block(88, 96, 2), new Block(96, 96, 1), new Block(96, 96, 1), new Block(96, 96, 1),
            new Block(96, 96, 1));
    /** Index of the block whose 16×16×88 output feeds the first pair of heads. */
    public static final int HEAD16_BLOCK = 10;
    public static final int STEM_OUT = 24;
    public static final int STEM_KERNEL = 5;

    final float[] stemW;
    final float[] stemB;
    final float[][] dwW = new float[BLOCKS.size()][];
    final float[][] pwW = new float[BLOCKS.size()][];
    final float[][] pwB = new float[BLOCKS.size()][];
    /** Heads: 16×16 scores (2), 16×16 boxes (32), 8×8 scores (6), 8×8 boxes (96). */
    final float[][] headW = new float[4][];
    final float[][] headB = new float[4][];
    static final int[] HEAD_OUT = {2, 32, 6, 96};
    static final int[] HEAD_IN = {88, 88, 96, 96};
    private static final int[] HEAD_VAR = {17, 19, 18, 20};

    private BlazeFaceWeights(OnnxGraph g) {
        Map<String, StoredTensor> init = g.initializerMap();
        Map<String, OnnxNode> convByWeight = new java.util.HashMap<>();
        for (OnnxNode n : g.nodes("Conv")) {
            convByWeight.put(n.inputs().get(1), n);
        }
        require(convByWeight.size() == 1 + 2 * BLOCKS.size() + 4, "expected 37 Conv nodes, found " + convByWeight.size());
        stemW = take(init, PREFIX + "conv2d/Conv2D/ReadVariableOp:0", STEM_OUT, 3, STEM_KERNEL, STEM_KERNEL);
        stemB = take(init, PREFIX + "conv2d/BiasAdd/ReadVariableOp:0", STEM_OUT);
        check(convByWeight.get(PREFIX + "conv2d/Conv2D/ReadVariableOp:0"), 1, new int[] {5, 5}, new int[] {2, 2}, new int[] {1, 1, 2, 2});
        for (int b = 0; b < BLOCKS.size(); b++) {
            Block k = BLOCKS.get(b);
            String dw = PREFIX + "depthwise_conv2d" + (b == 0 ? "" : "_" + b) + "/depthwise/ReadVariableOp:0";
            dwW[b] = take(init, dw, k.in(), 1, 3, 3);
            check(convByWeight.get(dw), k.in(), new int[] {3, 3}, new int[] {k.stride(), k.stride()},
                    k.stride() == 1 ? new int[] {1, 1, 1, 1} : new int[] {0, 0, 1, 1});
            String pw = PREFIX + "conv2d_" + (b + 1) + "/Conv2D/ReadVariableOp:0";
            pwW[b] = take(init, pw, k.out(), k.in(), 1, 1);
            pwB[b] = take(init, PREFIX + "conv2d_" + (b + 1) + "/BiasAdd/ReadVariableOp:0", k.out());
            check(convByWeight.get(pw), 1, new int[] {1, 1}, new int[] {1, 1}, null);
        }
        for (int h = 0; h < 4; h++) {
            String w = PREFIX + "conv2d_" + HEAD_VAR[h] + "/Conv2D/ReadVariableOp:0";
            headW[h] = take(init, w, HEAD_OUT[h], HEAD_IN[h], 1, 1);
            headB[h] = take(init, PREFIX + "conv2d_" + HEAD_VAR[h] + "/BiasAdd/ReadVariableOp:0", HEAD_OUT[h]);
            check(convByWeight.get(w), 1, new int[] {1, 1}, new int[] {1, 1}, null);
        }
        require(g.nodes("MaxPool").size() == 3, "expected 3 MaxPool nodes");
        for (OnnxNode p : g.nodes("MaxPool")) {
            require(Arrays.equals(p.intsAttribute("kernel_shape", null), new int[] {2, 2})
                    && Arrays.equals(p.intsAttribute("strides", null), new int[] {2, 2}), "MaxPool is not 2x2/2: " + p.attributes());
        }
        long relus = g.nodes("Relu").size();
        require(relus == 1 + BLOCKS.size(), "expected 17 Relu nodes, found " + relus);
        require(g.nodes("Add").size() == BLOCKS.size(), "expected 16 residual Add nodes");
    }

    public static BlazeFaceWeights load(Path modelFile) throws IOException {
        return load(OnnxModel.read(modelFile));
    }

    public static BlazeFaceWeights load(OnnxModel model) {
        OnnxGraph g = model.graph();
        require(g.inputs().size() == 1 && g.input("input:0").dims().equals(List.of(1L, 128L, 128L, 3L)),
                "not BlazeFace front 128x128: inputs " + g.inputs());
        return new BlazeFaceWeights(g);
    }

    private static void check(OnnxNode conv, int group, int[] kernel, int[] strides, int[] pads) {
        require(conv != null, "a Conv node is missing");
        require(conv.intAttribute("group", 1) == group, conv.name() + " group " + conv.intAttribute("group", 1) + " != " + group);
        require(Arrays.equals(conv.intsAttribute("kernel_shape", null), kernel), conv.name() + " kernel differs");
        require(Arrays.equals(conv.intsAttribute("strides", new int[] {1, 1}), strides), conv.name() + " strides differ");
        int[] p = conv.intsAttribute("pads", new int[] {0, 0, 0, 0});
        require(Arrays.equals(p, pads == null ? new int[] {0, 0, 0, 0} : pads), conv.name() + " pads " + Arrays.toString(p));
        require(Arrays.equals(conv.intsAttribute("dilations", new int[] {1, 1}), new int[] {1, 1}), conv.name() + " is dilated");
    }

    private static float[] take(Map<String, StoredTensor> w, String name, int... shape) {
        return StoredTensor.take(w, "BlazeFace front", name, shape);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException("not the BlazeFace front graph this encoder implements: " + message);
        }
    }

    // Copies for GPU upload.
    public float[] stemWeight() { return stemW.clone(); }
    public float[] stemBias() { return stemB.clone(); }
    public float[] depthwiseWeight(int block) { return dwW[block].clone(); }
    public float[] pointwiseWeight(int block) { return pwW[block].clone(); }
    public float[] pointwiseBias(int block) { return pwB[block].clone(); }
    public float[] headWeight(int head) { return headW[head].clone(); }
    public float[] headBias(int head) { return headB[head].clone(); }
}
