package io.omnistream.gpu.encoders.face;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.testutils.OnnxRuntimeOracle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The BlazeFace twin built from the file's weights against ONNX Runtime (CPU) running the same file, on frames made
 * from the astronaut photo: the whole photo, its mirror image, a letterboxed head-and-shoulders crop, the photo
 * shifted by 9 pixels, and a grey frame without a face, in one batch. Raw outputs agree within 2e-3 (logits and
 * pixel offsets of order 1–100, fp32 in different summation orders); after decoding and weighted NMS (score 0.6,
 * IoU 0.3, the operators' defaults) both give the same faces, boxes and keypoints within 0.01 px, scores within 1e-4.
 */
class BlazeFaceOracleTest {
    static final double RAW_TOLERANCE = 2e-3;
    static final double BOX_TOLERANCE = 1e-2;

    @Test
    void twinMatchesOnnxRuntimeOnAstronautFrames() throws Exception {
        BufferedImage photo = ImageIO.read(EncoderModels.require(EncoderModels.ASTRONAUT).toFile());
        List<float[]> frames = new ArrayList<>();
        frames.add(letterbox(photo, 0, 0, photo.getWidth(), photo.getHeight(), false, 0));
        frames.add(letterbox(photo, 0, 0, photo.getWidth(), photo.getHeight(), true, 0));
        frames.add(letterbox(photo, 125, 40, 200, 260, false, 0));
        frames.add(letterbox(photo, 0, 0, photo.getWidth(), photo.getHeight(), false, 9));
        float[] grey = new float[BlazeFaceEncoder.IMAGE];
        Arrays.fill(grey, 0.0039f);
        frames.add(grey);
        int n = frames.size();
        float[] images = new float[n * BlazeFaceEncoder.IMAGE];
        for (int i = 0; i < n; i++) {
            System.arraycopy(frames.get(i), 0, images, i * BlazeFaceEncoder.IMAGE, BlazeFaceEncoder.IMAGE);
        }
        float[] scores = new float[n * BlazeFaceEncoder.ANCHORS];
        float[] boxes = new float[n * BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX];
        new BlazeFaceTwin(BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT))).forward(images, n, scores, boxes);

        BlazeFaceDecoder decoder = new BlazeFaceDecoder(0.6f, 0.3f);
        double worstRaw = 0;
        double worstBox = 0;
        int facesSeen = 0;
        try (OnnxRuntimeOracle ort = new OnnxRuntimeOracle(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT))) {
            for (int i = 0; i < n; i++) {
                Map<String, float[]> out = ort.run("input:0", frames.get(i), new long[] {1, 128, 128, 3});
                float[] s = concat(out.get("Identity:0"), out.get("Identity_1:0"));
                float[] b = concat(out.get("Identity_2:0"), out.get("Identity_3:0"));
                for (int k = 0; k < s.length; k++) {
                    double diff = Math.abs(scores[i * s.length + k] - s[k]);
                    worstRaw = Math.max(worstRaw, diff);
                    assertThat(diff).as("frame %d logit %d", i, k).isLessThanOrEqualTo(RAW_TOLERANCE);
                }
                for (int k = 0; k < b.length; k++) {
                    double diff = Math.abs(boxes[i * b.length + k] - b[k]);
                    worstRaw = Math.max(worstRaw, diff);
                    assertThat(diff).as("frame %d box value %d", i, k).isLessThanOrEqualTo(RAW_TOLERANCE);
                }
                List<FaceBox> expected = decoder.decode(s, b, 0);
                List<FaceBox> got = decoder.decode(scores, boxes, i);
                assertThat(got).as("faces in frame %d", i).hasSameSizeAs(expected);
                for (int f = 0; f < got.size(); f++) {
                    FaceBox g = got.get(f);
                    FaceBox e = expected.get(f);
                    float[] gv = {g.x(), g.y(), g.width(), g.height()};
                    float[] ev = {e.x(), e.y(), e.width(), e.height()};
                    for (int k = 0; k < 4; k++) {
                        worstBox = Math.max(worstBox, Math.abs(gv[k] - ev[k]));
                        assertThat((double) Math.abs(gv[k] - ev[k])).as("frame %d face %d box %d", i, f, k).isLessThanOrEqualTo(BOX_TOLERANCE);
                    }
                    for (int k = 0; k < 12; k++) {
                        worstBox = Math.max(worstBox, Math.abs(g.keypoints()[k] - e.keypoints()[k]));
                        assertThat((double) Math.abs(g.keypoints()[k] - e.keypoints()[k])).isLessThanOrEqualTo(BOX_TOLERANCE);
                    }
                    assertThat((double) Math.abs(g.score() - e.score())).isLessThanOrEqualTo(1e-4);
                }
                facesSeen += expected.size();
                if (i < 4) {
                    assertThat(expected).as("ONNX Runtime finds the astronaut in frame %d", i).hasSize(1);
                } else {
                    assertThat(expected).as("no face in the grey frame").isEmpty();
                }
            }
        }
        // The astronaut's mouth (219, 147 in the 512-pixel photo) is where the first frame's face puts it.
        FaceBox face = decoder.decode(scores, boxes, 0).get(0).toPicture(0.25f, 0, 0);
        assertThat((double) face.keypoints()[6]).isCloseTo(219, org.assertj.core.data.Offset.offset(8.0));
        assertThat((double) face.keypoints()[7]).isCloseTo(147, org.assertj.core.data.Offset.offset(8.0));
        System.out.printf("BlazeFace twin vs ONNX Runtime: %d frames, %d faces, max |raw diff| %.3e, max |box/keypoint diff| %.3e px%n",
                n, facesSeen, worstRaw, worstBox);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * A 128×128 NHWC frame in [-1, 1] from a region of the photo: area-averaged down to fit, centred on black (as the
     * operators' letterbox does), rounded to 8 bits like a decoded frame, optionally mirrored and shifted right.
     */
    static float[] letterbox(BufferedImage img, int x0, int y0, int w, int h, boolean mirror, int shift) {
        float scale = 128f / Math.max(w, h);
        int rw = Math.max(1, Math.round(w * scale));
        int rh = Math.max(1, Math.round(h * scale));
        int padX = (128 - rw) / 2 + shift;
        int padY = (128 - rh) / 2;
        float[] out = new float[BlazeFaceEncoder.IMAGE];
        Arrays.fill(out, -1f);
        for (int y = 0; y < rh; y++) {
            for (int x = 0; x < rw; x++) {
                int ox = x + padX;
                if (ox < 0 || ox >= 128) {
                    continue;
                }
                int sx0 = x0 + (int) Math.floor(x / scale);
                int sx1 = Math.max(sx0 + 1, x0 + (int) Math.floor((x + 1) / scale));
                int sy0 = y0 + (int) Math.floor(y / scale);
                int sy1 = Math.max(sy0 + 1, y0 + (int) Math.floor((y + 1) / scale));
                double[] sum = new double[3];
                int count = 0;
                for (int sy = sy0; sy < sy1; sy++) {
                    for (int sx = sx0; sx < sx1; sx++) {
                        int px = mirror ? x0 + w - 1 - (sx - x0) : sx;
                        int rgb = img.getRGB(px, sy);
                        sum[0] += (rgb >> 16) & 0xff;
                        sum[1] += (rgb >> 8) & 0xff;
                        sum[2] += rgb & 0xff;
                        count++;
                    }
                }
                for (int c = 0; c < 3; c++) {
                    out[((y + padY) * 128 + ox) * 3 + c] = Math.round(sum[c] / count) * (2f / 255f) - 1f;
                }
            }
        }
        return out;
    }
}
