package io.omnistream.gpu.encoders.face;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.runtime.GpuRuntime;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The CUDA BlazeFace against the twin on a batch of 37 synthetic frames (smooth blobs and edges on noise, so every
 * layer sees structured, non-trivial activations): raw logits and box regressions within 2e-3, and the decoded faces
 * at a low score threshold (so there are detections to compare) the same within 0.01 px.
 */
class BlazeFaceGpuTest {

    @Test
    void gpuBatchMatchesTheTwin() throws IOException {
        assumeGpu();
        Assumptions.assumeTrue(EncoderModule.present(), "encoder kernels not built");
        BlazeFaceWeights w = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        int n = 37;
        float[] images = frames(n);
        float[] sg = new float[n * BlazeFaceEncoder.ANCHORS];
        float[] bg = new float[sg.length * BlazeFaceEncoder.BOX];
        float[] st = sg.clone();
        float[] bt = bg.clone();
        try (BlazeFaceCuda gpu = new BlazeFaceCuda(GpuRuntime.newContext(), w)) {
            gpu.forward(images, 0, sg, bg);
            gpu.forward(images, n, sg, bg);
        }
        new BlazeFaceTwin(w).forward(images, n, st, bt);
        double worst = 0;
        for (int i = 0; i < sg.length; i++) {
            worst = Math.max(worst, Math.abs(sg[i] - st[i]));
            assertThat((double) Math.abs(sg[i] - st[i])).as("logit %d", i).isLessThanOrEqualTo(2e-3);
        }
        for (int i = 0; i < bg.length; i++) {
            worst = Math.max(worst, Math.abs(bg[i] - bt[i]));
            assertThat((double) Math.abs(bg[i] - bt[i])).as("box value %d", i).isLessThanOrEqualTo(2e-3);
        }
        float threshold = 0.2f;
        BlazeFaceDecoder decoder = new BlazeFaceDecoder(threshold, 0.3f);
        int faces = 0;
        int compared = 0;
        for (int f = 0; f < n; f++) {
            if (nearThreshold(st, f, threshold)) {
                continue; // a score within 1e-3 of the threshold may legitimately fall on either side
            }
            compared++;
            List<FaceBox> g = decoder.decode(sg, bg, f);
            List<FaceBox> t = decoder.decode(st, bt, f);
            assertThat(g).as("faces in frame %d", f).hasSameSizeAs(t);
            for (FaceBox e : t) {
                FaceBox m = g.stream().min(java.util.Comparator.comparingDouble(x -> Math.abs(x.x() - e.x()) + Math.abs(x.y() - e.y())))
                        .orElseThrow();
                assertThat((double) Math.abs(m.x() - e.x())).isLessThanOrEqualTo(1e-2);
                assertThat((double) Math.abs(m.y() - e.y())).isLessThanOrEqualTo(1e-2);
                assertThat((double) Math.abs(m.width() - e.width())).isLessThanOrEqualTo(1e-2);
                assertThat((double) Math.abs(m.height() - e.height())).isLessThanOrEqualTo(1e-2);
            }
            faces += t.size();
        }
        assertThat(compared).isGreaterThan(n / 2);
        System.out.printf("BlazeFace GPU vs twin on %s: %d frames, %d detections at score 0.2 in the compared frames, max |raw diff| %.3e%n",
                GpuRuntime.device(), n, faces, worst);
    }

    private static boolean nearThreshold(float[] logits, int frame, float threshold) {
        for (int i = 0; i < BlazeFaceEncoder.ANCHORS; i++) {
            double p = 1.0 / (1.0 + Math.exp(-logits[frame * BlazeFaceEncoder.ANCHORS + i]));
            if (Math.abs(p - threshold) < 1e-3) {
                return true;
            }
        }
        return false;
    }

    static float[] frames(int n) {
        float[] img = new float[n * BlazeFaceEncoder.IMAGE];
        SplittableRandom r = new SplittableRandom(11);
        for (int f = 0; f < n; f++) {
            double cx = 20 + r.nextDouble(88);
            double cy = 20 + r.nextDouble(88);
            double rad = 10 + r.nextDouble(40);
            for (int y = 0; y < 128; y++) {
                for (int x = 0; x < 128; x++) {
                    double d = Math.hypot(x - cx, (y - cy) * 1.3) / rad;
                    double blob = Math.exp(-d * d);
                    for (int c = 0; c < 3; c++) {
                        double v = -0.6 + 1.2 * blob * (0.6 + 0.2 * c) + (x > cx + rad ? 0.3 : 0) + r.nextDouble(-0.05, 0.05);
                        img[f * BlazeFaceEncoder.IMAGE + (y * 128 + x) * 3 + c] = (float) Math.max(-1, Math.min(1, v));
                    }
                }
            }
        }
        return img;
    }
}
