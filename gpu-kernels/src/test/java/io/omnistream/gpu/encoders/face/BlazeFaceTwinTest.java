package io.omnistream.gpu.encoders.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.onnx.OnnxModel;
import io.omnistream.gpu.testutils.Signals;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batching and input checks of the BlazeFace twin, and the decoder's rules. Agreement with ONNX Runtime on the
 * astronaut photo is in BlazeFaceOracleTest.
 */
class BlazeFaceTwinTest {
    private static BlazeFaceWeights weights;

    @BeforeAll
    static void load() throws IOException {
        weights = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
    }

    @Test
    void aBatchOfFramesGivesExactlyWhatEachFrameGivesAlone() {
        int n = 3;
        float[] images = new float[n * BlazeFaceEncoder.IMAGE];
        for (int i = 0; i < n; i++) {
            float[] noise = Signals.voiceLike(BlazeFaceEncoder.IMAGE, 7 + i);
            System.arraycopy(noise, 0, images, i * BlazeFaceEncoder.IMAGE, noise.length);
        }
        float[] scores = new float[n * BlazeFaceEncoder.ANCHORS];
        float[] boxes = new float[n * BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX];
        BlazeFaceTwin twin = new BlazeFaceTwin(weights);
        twin.forward(images, n, scores, boxes);
        for (int i = n - 1; i >= 0; i--) {
            float[] s = new float[BlazeFaceEncoder.ANCHORS];
            float[] b = new float[BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX];
            twin.forward(Arrays.copyOfRange(images, i * BlazeFaceEncoder.IMAGE, (i + 1) * BlazeFaceEncoder.IMAGE), 1, s, b);
            assertThat(Arrays.copyOfRange(scores, i * s.length, (i + 1) * s.length)).containsExactly(s);
            assertThat(Arrays.copyOfRange(boxes, i * b.length, (i + 1) * b.length)).containsExactly(b);
        }
    }

    @Test
    void overlappingDetectionsAreMergedByScoreAndDistantOnesKept() {
        float[] scores = new float[BlazeFaceEncoder.ANCHORS];
        Arrays.fill(scores, -20f);
        float[] boxes = new float[BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX];
        // Anchors 0 and 1 share the first 16×16 cell (centre 4, 4); anchor 511 is the last cell (centre 124, 124).
        scores[0] = 3f;
        scores[1] = 1f;
        scores[511] = 2f;
        setBox(boxes, 0, 0, 0, 20, 20);
        setBox(boxes, 1, 2, 0, 20, 20);
        setBox(boxes, 511, 0, 0, 10, 10);
        List<FaceBox> faces = new BlazeFaceDecoder(0.6f, 0.3f).decode(scores, boxes, 0);
        assertThat(faces).hasSize(2);
        FaceBox merged = faces.get(0);
        float s0 = sigmoid(3f);
        float s1 = sigmoid(1f);
        assertThat(merged.score()).isEqualTo(s0);
        assertThat(merged.x()).isCloseTo((-6f * s0 + -4f * s1) / (s0 + s1), org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(faces.get(1).x()).isCloseTo(119f, org.assertj.core.data.Offset.offset(1e-4f));
        assertThat(new BlazeFaceDecoder(0.9f, 0.3f).decode(scores, boxes, 0)).hasSize(1);
    }

    private static void setBox(float[] boxes, int anchor, float dx, float dy, float w, float h) {
        boxes[anchor * 16] = dx;
        boxes[anchor * 16 + 1] = dy;
        boxes[anchor * 16 + 2] = w;
        boxes[anchor * 16 + 3] = h;
    }

    private static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    @Test
    void wrongSizesAndOtherModelsAreRefused() throws IOException {
        BlazeFaceTwin twin = new BlazeFaceTwin(weights);
        assertThatThrownBy(() -> twin.forward(new float[10], 1, new float[896], new float[896 * 16]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("images");
        OnnxModel vad = OnnxModel.read(EncoderModels.require(EncoderModels.SILERO_VAD));
        assertThatThrownBy(() -> BlazeFaceWeights.load(vad)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not BlazeFace");
    }
}
