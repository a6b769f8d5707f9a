package io.omnistream.gpu.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.TensorInfo;
import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.testutils.OnnxRuntimeOracle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reader's view of each model file's interface (inputs, outputs, element types, shapes, producer) equals what
 * ONNX Runtime reports for the same file. ONNX Runtime exposes no initializer list; the weights are checked by the
 * encoders' oracle tests, which reproduce ONNX Runtime's outputs from the weights this reader returns.
 */
class OnnxModelReaderOracleTest {

    @ParameterizedTest
    @ValueSource(strings = {EncoderModels.SILERO_VAD, EncoderModels.BLAZEFACE_FRONT})
    void inputsOutputsAndProducerMatchOnnxRuntime(String file) throws Exception {
        Path path = EncoderModels.require(file);
        OnnxModel model = OnnxModel.read(path);
        try (OnnxRuntimeOracle ort = new OnnxRuntimeOracle(path)) {
            assertThat(model.producerName()).isEqualTo(ort.producerName());
            same(model.graph().inputs(), ort.inputs());
            same(model.graph().outputs(), ort.outputs());
        }
    }

    private static void same(List<OnnxValueInfo> ours, Map<String, TensorInfo> theirs) {
        assertThat(ours).extracting(OnnxValueInfo::name).containsExactlyInAnyOrderElementsOf(theirs.keySet());
        for (OnnxValueInfo v : ours) {
            TensorInfo t = theirs.get(v.name());
            assertThat("ONNX_TENSOR_ELEMENT_DATA_TYPE_" + v.elemType().name()).as("element type of %s", v.name())
                    .isEqualTo(t.onnxType.name());
            long[] shape = t.getShape();
            assertThat(v.dims()).as("shape of %s", v.name()).hasSize(shape.length);
            for (int i = 0; i < shape.length; i++) {
                assertThat(v.dims().get(i)).as("dim %d of %s", i, v.name()).isEqualTo(shape[i]);
            }
        }
    }
}
