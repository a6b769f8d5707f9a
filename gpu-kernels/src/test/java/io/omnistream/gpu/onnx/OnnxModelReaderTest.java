package io.omnistream.gpu.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedOutputStream;
import io.omnistream.gpu.encoders.EncoderModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The ONNX reader on the real model files and on tensors written in the typed (non-raw) storage fields. */
class OnnxModelReaderTest {

    @Test
    void readsSileroVadHeaderAndItsTwoSampleRateBranches() throws IOException {
        OnnxModel m = OnnxModel.read(EncoderModels.require(EncoderModels.SILERO_VAD));
        assertThat(m.producerName()).isEqualTo("spox");
        assertThat(m.defaultOpset()).isEqualTo(16);
        OnnxGraph g = m.graph();
        assertThat(g.inputs()).extracting(OnnxValueInfo::name).containsExactly("input", "state", "sr");
        assertThat(g.outputs()).extracting(OnnxValueInfo::name).containsExactly("output", "stateN");
        assertThat(g.initializers()).isEmpty();
        assertThat(g.nodes()).extracting(OnnxNode::opType).containsExactly("Constant", "Equal", "If", "Identity", "Identity");
        assertThat(g.constants().get("Constant_0_output").longs()).containsExactly(16000L);
        OnnxNode branch = g.nodes("If").get(0);
        assertThat(branch.attributes()).containsOnlyKeys("then_branch", "else_branch");
        // The 16 kHz branch (then) and the 8 kHz branch (else) each carry the full weight set as Constant nodes.
        Map<String, int[]> then = shapes(branch.graphAttribute("then_branch"));
        Map<String, int[]> otherwise = shapes(branch.graphAttribute("else_branch"));
        assertThat(then.get("stft.forward_basis_buffer")).containsExactly(258, 1, 256);
        assertThat(otherwise.get("stft.forward_basis_buffer")).containsExactly(130, 1, 128);
        assertThat(then.get("encoder.0.reparam_conv.weight")).containsExactly(128, 129, 3);
        assertThat(otherwise.get("encoder.0.reparam_conv.weight")).containsExactly(128, 65, 3);
        assertThat(then.get("encoder.1.reparam_conv.weight")).containsExactly(64, 128, 3);
        assertThat(then.get("encoder.2.reparam_conv.weight")).containsExactly(64, 64, 3);
        assertThat(then.get("encoder.3.reparam_conv.weight")).containsExactly(128, 64, 3);
        assertThat(then.get("decoder.rnn.weight_ih")).containsExactly(512, 128);
        assertThat(then.get("decoder.rnn.weight_hh")).containsExactly(512, 128);
        assertThat(then.get("decoder.rnn.bias_ih")).containsExactly(512);
        assertThat(then.get("decoder.decoder.2.weight")).containsExactly(1, 128, 1);
        assertThat(then.get("decoder.decoder.2.bias")).containsExactly(1);
        List<OnnxNode> lstm = branch.graphAttribute("then_branch").allNodes().stream().filter(n -> n.opType().equals("LSTM")).toList();
        assertThat(lstm).isNotEmpty().allSatisfy(n -> assertThat(n.intAttribute("hidden_size", 0)).isEqualTo(128));
        OnnxNode stft = branch.graphAttribute("then_branch").nodes("Conv").get(0);
        assertThat(stft.intsAttribute("kernel_shape", null)).containsExactly(256);
        assertThat(stft.intsAttribute("strides", null)).containsExactly(128);
    }

    /** The branch's weights by PyTorch parameter name (the Constant outputs minus the inliner's prefix). */
    private static Map<String, int[]> shapes(OnnxGraph branch) {
        Map<String, int[]> m = new TreeMap<>();
        branch.constants().forEach((name, t) -> {
            int cut = name.indexOf("__", name.indexOf("Inline_"));
            String p = name.substring(cut + 2);
            if (p.startsWith("stft.") || p.startsWith("encoder.") || p.startsWith("decoder.")) {
                m.put(p, t.shape());
            }
        });
        return m;
    }

    @Test
    void blazeFaceGraphIsCompleteAndItsConvolutionsMatchTheirWeights() throws IOException {
        OnnxModel m = OnnxModel.read(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        assertThat(m.producerName()).isEqualTo("tf2onnx");
        OnnxGraph g = m.graph();
        assertThat(g.inputs()).extracting(OnnxValueInfo::name).containsExactly("input:0");
        assertThat(g.input("input:0").dims()).containsExactly(1L, 128L, 128L, 3L);
        assertThat(g.outputs()).extracting(OnnxValueInfo::name)
                .containsExactlyInAnyOrder("Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0");
        Map<String, StoredTensor> inits = g.initializerMap();
        assertThat(inits).hasSize(g.initializers().size());
        // Every node input is a graph input, an initializer or the output of an earlier node (file order is topological).
        Set<String> known = new HashSet<>(inits.keySet());
        g.inputs().forEach(v -> known.add(v.name()));
        for (OnnxNode n : g.nodes()) {
            for (String in : n.inputs()) {
                assertThat(in.isEmpty() || known.contains(in)).as("input %s of %s", in, n).isTrue();
            }
            known.addAll(n.outputs());
        }
        g.outputs().forEach(v -> assertThat(known).contains(v.name()));
        // Convolutions: weight [out][in/group][kh][kw], bias [out] when present; depthwise ones have group == channels.
        List<OnnxNode> convs = g.nodes("Conv");
        assertThat(convs).hasSize(1 + 16 * 2 + 4);
        int depthwise = 0;
        for (OnnxNode c : convs) {
            int[] w = inits.get(c.inputs().get(1)).shape();
            assertThat(w).hasSize(4);
            long group = c.intAttribute("group", 1);
            if (group > 1) {
                depthwise++;
                assertThat(w[1]).isEqualTo(1);
                assertThat(group).isEqualTo(w[0]);
            }
            if (c.inputs().size() > 2) {
                assertThat(inits.get(c.inputs().get(2)).shape()).containsExactly(w[0]);
            }
        }
        assertThat(depthwise).isEqualTo(16);
        assertThat(g.nodes("MaxPool")).hasSize(3);
        long params = g.initializers().stream().filter(t -> t.dataType() == OnnxDataType.FLOAT).mapToLong(StoredTensor::elementCount).sum();
        // The float weights (raw_data) are nearly the whole 432 KiB file.
        long fileSize = Files.size(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        assertThat(params * 4).isBetween(fileSize * 85 / 100, fileSize);
        // tf2onnx stores the ConstantOfShape shapes in the typed int64_data field, not raw_data.
        assertThat(inits.get("shape_1x4x64x64").longs()).containsExactly(1L, 4L, 64L, 64L);
        assertThat(inits.get("shape_1x8x8x8").longs()).containsExactly(1L, 8L, 8L, 8L);
    }

    @Test
    void typedStorageFieldsReadTheSameAsRawData() throws IOException {
        float[] values = {1.5f, -2.25f, 3e-8f, Float.MAX_VALUE, -0f, 7f};
        ByteBuffer raw = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        byte[] typedFloat = tensor("typed", new long[] {2, 3}, 1, out -> {
            // packed float_data (field 4)
            out.writeTag(4, 2);
            out.writeUInt32NoTag(4 * values.length);
            for (float v : values) {
                out.writeFloatNoTag(v);
            }
        }, false);
        byte[] rawFloat = tensor("raw", new long[] {2, 3}, 1, out -> out.writeByteArray(9, raw.array()), true);
        byte[] int8 = tensor("int8", new long[] {3}, 3, out -> {
            // unpacked int32_data (field 5), negative values are sign-extended varints
            out.writeInt32(5, -128);
            out.writeInt32(5, 0);
            out.writeInt32(5, 127);
        }, false);
        byte[] int64 = tensor("int64", new long[] {2}, 7, out -> {
            out.writeTag(7, 2);
            out.writeUInt32NoTag(CodedOutputStream.computeInt64SizeNoTag(-9223372036854775807L) + 1);
            out.writeInt64NoTag(-9223372036854775807L);
            out.writeInt64NoTag(42);
        }, true);
        OnnxModel m = OnnxModel.parse(model(List.of(typedFloat, rawFloat, int8, int64)));
        Map<String, StoredTensor> t = m.graph().initializerMap();
        assertThat(t.get("typed").floats()).containsExactly(values);
        assertThat(t.get("raw").floats()).containsExactly(values);
        assertThat(t.get("typed").rawData()).isEqualTo(t.get("raw").rawData());
        assertThat(t.get("typed").shape()).containsExactly(2, 3);
        assertThat(t.get("int8").longs()).containsExactly(-128L, 0L, 127L);
        assertThat(t.get("int64").longs()).containsExactly(-9223372036854775807L, 42L);
        assertThat(m.irVersion()).isEqualTo(9);
        assertThat(m.defaultOpset()).isEqualTo(17);
    }

    @Test
    void tensorWhoseDataDoesNotMatchItsShapeIsRefused() throws IOException {
        byte[] bad = tensor("short", new long[] {4}, 1, out -> out.writeByteArray(9, new byte[12]), true);
        assertThatThrownBy(() -> OnnxModel.parse(model(List.of(bad))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("short").hasMessageContaining("holds 12 bytes");
    }

    @Test
    void aFileThatIsNotAModelIsRefusedWithAnIoError() throws IOException {
        byte[] png = Files.readAllBytes(EncoderModels.require(EncoderModels.ASTRONAUT));
        assertThatThrownBy(() -> OnnxModel.parse(png)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> OnnxModel.parse(new byte[0])).isInstanceOf(IOException.class).hasMessageContaining("no graph");
    }

    private interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Body body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        body.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    /** A TensorProto: dims (packed or one tag each), data_type, name, then the data fields. */
    private static byte[] tensor(String name, long[] dims, int dataType, Body data, boolean packedDims) throws IOException {
        return message(out -> {
            if (packedDims) {
                int size = 0;
                for (long d : dims) {
                    size += CodedOutputStream.computeInt64SizeNoTag(d);
                }
                out.writeTag(1, 2);
                out.writeUInt32NoTag(size);
                for (long d : dims) {
                    out.writeInt64NoTag(d);
                }
            } else {
                for (long d : dims) {
                    out.writeInt64(1, d);
                }
            }
            out.writeInt32(2, dataType);
            out.writeString(8, name);
            data.write(out);
        });
    }

    /** A ModelProto (IR 9, opset 17) whose graph holds only these initializers. */
    private static byte[] model(List<byte[]> initializers) throws IOException {
        byte[] graph = message(out -> {
            out.writeString(2, "g");
            for (byte[] t : initializers) {
                out.writeByteArray(5, t);
            }
        });
        byte[] opset = message(out -> {
            out.writeString(1, "");
            out.writeInt64(2, 17);
        });
        return message(out -> {
            out.writeInt64(1, 9);
            out.writeString(2, "test");
            out.writeByteArray(7, graph);
            out.writeByteArray(8, opset);
        });
    }
}
