package io.omnistream.gpu.encoders.face;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.image.I420Frames;
import io.omnistream.gpu.image.I420LetterboxTwin;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.CameraFrameSet;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The device camera path of {@link BlazeFaceCuda#detectI420} against the host specification (the twin letterbox,
 * {@link BlazeFaceTwin}, the decoder on full outputs) on real frames of different sessions in one batch: sizes from
 * 161×121 to 1280×720, portrait, mirrored, one without a face. The device letterbox equals the twin's, faces agree
 * within 1 px with scores within 1e-3, frames with more candidates than the device keeps are read back whole.
 * The frames come from {@link CameraFrameSet} (exported files on the GPU machine, whose Java runtime has no AWT).
 */
class BlazeFaceI420GpuTest {
    private BlazeFaceWeights weights;
    private List<CameraFrameSet.I420Frame> sessions;

    @BeforeEach
    void setUp() throws Exception {
        assumeGpu();
        Assumptions.assumeTrue(EncoderModule.present(), "encoder kernels not built");
        weights = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        sessions = CameraFrameSet.sessions();
    }

    private I420Frames batch(int n) {
        I420Frames frames = new I420Frames();
        for (int i = 0; i < n; i++) {
            CameraFrameSet.I420Frame f = sessions.get((i * 5) % sessions.size());
            frames.add(f.i420(), f.width(), f.height());
        }
        return frames;
    }

    @Test
    void deviceLetterboxEqualsTheTwin() {
        double worst = 0;
        int differing = 0;
        int values = 0;
        try (BlazeFaceCuda cuda = new BlazeFaceCuda(GpuRuntime.newContext(), weights)) {
            for (int n : new int[] {19, 70}) { // 70 frames = 39 MB: uploaded in 3 chunks
                I420Frames frames = batch(n);
                float[] gpu = new float[frames.size() * BlazeFaceEncoder.IMAGE];
                float[] twin = new float[gpu.length];
                cuda.letterboxI420(frames, gpu);
                I420LetterboxTwin.letterbox(frames, twin);
                for (int i = 0; i < gpu.length; i++) {
                    double d = Math.abs(gpu[i] - twin[i]);
                    worst = Math.max(worst, d);
                    differing += d > 0 ? 1 : 0;
                }
                values += gpu.length;
            }
        }
        System.out.printf("I420 letterbox GPU vs twin on %s: 89 frames, max |diff| %.3e, %d of %d values differ%n", GpuRuntime.device(),
                worst, differing, values);
        assertThat(worst).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void deviceFacesMatchTheTwinOnFramesOfManySessions() {
        BlazeFaceDecoder decoder = new BlazeFaceDecoder(0.6f, 0.3f);
        BlazeFaceTwin twin = new BlazeFaceTwin(weights);
        double worstBox = 0;
        double worstScore = 0;
        int faces = 0;
        try (BlazeFaceCuda cuda = new BlazeFaceCuda(GpuRuntime.newContext(), weights)) {
            assertThat(cuda.detectI420(new I420Frames(), decoder)).isEmpty();
            for (int n : new int[] {1, 24, 3}) { // buffers grow, then are reused
                I420Frames frames = batch(n);
                List<List<FaceBox>> gpu = cuda.detectI420(frames, decoder);
                List<List<FaceBox>> ref = twin.detectI420(frames, decoder);
                assertThat(gpu).hasSize(n);
                for (int f = 0; f < n; f++) {
                    assertThat(gpu.get(f)).as("faces in frame %d of %d", f, n).hasSameSizeAs(ref.get(f));
                    for (int k = 0; k < ref.get(f).size(); k++) {
                        FaceBox a = ref.get(f).get(k);
                        FaceBox b = gpu.get(f).get(k);
                        float[] d = {a.x() - b.x(), a.y() - b.y(), a.width() - b.width(), a.height() - b.height()};
                        for (float v : d) {
                            worstBox = Math.max(worstBox, Math.abs(v));
                            assertThat((double) Math.abs(v)).as("frame %d box", f).isLessThanOrEqualTo(1.0);
                        }
                        worstScore = Math.max(worstScore, Math.abs(a.score() - b.score()));
                        assertThat((double) Math.abs(a.score() - b.score())).as("frame %d score", f).isLessThanOrEqualTo(1e-3);
                        faces++;
                    }
                }
                assertThat(cuda.framesReadWhole()).isZero();
            }
        }
        assertThat(faces).isGreaterThan(10);
        System.out.printf("BlazeFace I420 device path vs twin on %s: %d faces, max |box diff| %.3e px, max |score diff| %.3e%n",
                GpuRuntime.device(), faces, worstBox, worstScore);
    }

    @Test
    void framesWithMoreCandidatesThanKeptAreReadBackWhole() {
        BlazeFaceDecoder low = new BlazeFaceDecoder(0.005f, 0.3f);
        I420Frames frames = batch(8);
        try (BlazeFaceCuda cuda = new BlazeFaceCuda(GpuRuntime.newContext(), weights)) {
            List<List<FaceBox>> gpu = cuda.detectI420(frames, low);
            int whole = cuda.framesReadWhole();
            // The same device outputs decoded on the host from the full tensors.
            float[] images = new float[frames.size() * BlazeFaceEncoder.IMAGE];
            cuda.letterboxI420(frames, images);
            float[] s = new float[frames.size() * BlazeFaceEncoder.ANCHORS];
            float[] b = new float[s.length * BlazeFaceEncoder.BOX];
            cuda.forward(images, frames.size(), s, b);
            int candidates = 0;
            for (int f = 0; f < frames.size(); f++) {
                List<FaceBox> ref = BlazeFaceEncoder.toPicture(low.decode(s, b, f), frames.letterbox(f));
                assertThat(gpu.get(f)).as("frame %d", f).hasSameSizeAs(ref);
                for (int k = 0; k < ref.size(); k++) {
                    assertThat((double) Math.abs(ref.get(k).x() - gpu.get(f).get(k).x())).isLessThanOrEqualTo(1e-3);
                    assertThat((double) Math.abs(ref.get(k).score() - gpu.get(f).get(k).score())).isLessThanOrEqualTo(1e-5);
                }
                candidates += ref.size();
            }
            System.out.printf("score 0.005: %d frames read back whole, %d detections after NMS%n", whole, candidates);
            assertThat(whole).isGreaterThan(0);
        }
    }
}
