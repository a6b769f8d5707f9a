package io.omnistream.gpu.encoders.face;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.image.I420Frames;
import io.omnistream.gpu.image.Letterbox;
import io.omnistream.gpu.testutils.CameraFrames;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * BlazeFace fed from I420 camera frames, on the CPU (the specification of the device path): the astronaut photo and
 * camera-sized scenes made from it, converted to I420, give the same faces as the float-RGB letterbox of the same
 * pictures used by the BlazeFace tests so far (boxes within 1 px after NMS, at the operators' thresholds), and the
 * decoder's candidate rows (what the device hands back) decode to exactly the faces of the full outputs.
 */
class BlazeFaceI420Test {
    private static BlazeFaceWeights weights;
    private static BufferedImage photo;

    @BeforeAll
    static void load() throws Exception {
        weights = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        photo = ImageIO.read(EncoderModels.require(EncoderModels.ASTRONAUT).toFile());
    }

    @Test
    void i420FramesGiveTheFacesOfTheFloatRgbPath() {
        List<CameraFrames.Frame> sessions = CameraFrames.sessions(photo);
        List<CameraFrames.Frame> frames = List.of(sessions.get(0), sessions.get(1), sessions.get(4), sessions.get(7));
        BlazeFaceDecoder decoder = new BlazeFaceDecoder(0.6f, 0.3f);
        BlazeFaceTwin twin = new BlazeFaceTwin(weights);
        I420Frames batch = new I420Frames();
        int n = frames.size();
        float[] images = new float[n * BlazeFaceEncoder.IMAGE];
        for (int i = 0; i < n; i++) {
            CameraFrames.Frame f = frames.get(i);
            batch.add(f.i420(), f.width(), f.height());
            System.arraycopy(CameraFrames.rgbLetterbox(f.rgb()), 0, images, i * BlazeFaceEncoder.IMAGE, BlazeFaceEncoder.IMAGE);
        }
        List<List<FaceBox>> fromI420 = twin.detectI420(batch, decoder);
        float[] scores = new float[n * BlazeFaceEncoder.ANCHORS];
        float[] boxes = new float[scores.length * BlazeFaceEncoder.BOX];
        twin.forward(images, n, scores, boxes);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            Letterbox g = batch.letterbox(i);
            List<FaceBox> rgb = BlazeFaceEncoder.toPicture(decoder.decode(scores, boxes, i), g);
            List<FaceBox> yuv = fromI420.get(i);
            String name = frames.get(i).name();
            assertThat(yuv).as("faces in %s", name).hasSameSizeAs(rgb);
            assertThat(rgb).as("faces in %s", name).hasSize(name.startsWith("no face") ? 0 : 1);
            for (int k = 0; k < rgb.size(); k++) {
                FaceBox a = rgb.get(k);
                FaceBox b = yuv.get(k);
                float[] d = {a.x() - b.x(), a.y() - b.y(), a.width() - b.width(), a.height() - b.height()};
                for (float v : d) {
                    worst = Math.max(worst, Math.abs(v));
                    assertThat((double) Math.abs(v)).as("%s box %s vs %s", name, a, b).isLessThanOrEqualTo(1.0);
                }
                assertThat((double) Math.abs(a.score() - b.score())).as("%s score", name).isLessThanOrEqualTo(0.02);
            }
        }
        // The astronaut's mouth (219, 147 in the 512-pixel photo) is where the I420 path puts it.
        FaceBox face = fromI420.get(0).get(0);
        assertThat((double) face.keypoints()[6]).isCloseTo(219, org.assertj.core.data.Offset.offset(8.0));
        assertThat((double) face.keypoints()[7]).isCloseTo(147, org.assertj.core.data.Offset.offset(8.0));
        System.out.printf("BlazeFace I420 twin path vs float-RGB path: %d frames, max |box diff| %.3f px (frame pixels)%n", n, worst);
    }

    @Test
    void everySessionFrameWithTheAstronautShowsOneFace() throws Exception {
        List<io.omnistream.gpu.testutils.CameraFrameSet.I420Frame> sessions = io.omnistream.gpu.testutils.CameraFrameSet.sessions();
        I420Frames batch = new I420Frames();
        for (var f : sessions) {
            batch.add(f.i420(), f.width(), f.height());
        }
        List<List<FaceBox>> faces = new BlazeFaceTwin(weights).detectI420(batch, new BlazeFaceDecoder(0.6f, 0.3f));
        for (int i = 0; i < sessions.size(); i++) {
            System.out.printf("%s: %s%n", sessions.get(i).name(), faces.get(i));
        }
        for (int i = 0; i < sessions.size(); i++) {
            assertThat(faces.get(i)).as(sessions.get(i).name()).hasSize(sessions.get(i).name().startsWith("no face") ? 0 : 1);
        }
    }

    @Test
    void candidateRowsDecodeToTheFacesOfTheFullOutputs() {
        CameraFrames.Frame f = CameraFrames.of("photo", photo);
        float[] images = CameraFrames.rgbLetterbox(f.rgb());
        float[] scores = new float[BlazeFaceEncoder.ANCHORS];
        float[] boxes = new float[BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX];
        new BlazeFaceTwin(weights).forward(images, 1, scores, boxes);
        for (float minScore : new float[] {0.6f, 0.3f, 0.05f, 0.005f, 0f}) {
            BlazeFaceDecoder decoder = new BlazeFaceDecoder(minScore, 0.3f);
            List<float[]> rows = new ArrayList<>();
            for (int a = 0; a < BlazeFaceEncoder.ANCHORS; a++) {
                if (scores[a] >= decoder.candidateLogit()) {
                    float[] row = new float[BlazeFaceDecoder.CANDIDATE];
                    row[0] = a;
                    row[1] = scores[a];
                    System.arraycopy(boxes, a * BlazeFaceEncoder.BOX, row, 2, BlazeFaceEncoder.BOX);
                    rows.add(row);
                }
            }
            float[] packed = new float[rows.size() * BlazeFaceDecoder.CANDIDATE];
            for (int r = 0; r < rows.size(); r++) {
                System.arraycopy(rows.get(r), 0, packed, r * BlazeFaceDecoder.CANDIDATE, BlazeFaceDecoder.CANDIDATE);
            }
            System.out.printf("min score %s: %d candidate anchors%n", minScore, rows.size());
            List<FaceBox> full = decoder.decode(scores, boxes, 0);
            List<FaceBox> fromRows = decoder.decodeCandidates(packed, 0, rows.size());
            assertThat(fromRows).as("min score %s", minScore).hasSameSizeAs(full);
            for (int k = 0; k < full.size(); k++) {
                FaceBox a = full.get(k);
                FaceBox b = fromRows.get(k);
                assertThat(new float[] {b.x(), b.y(), b.width(), b.height(), b.score()})
                        .containsExactly(a.x(), a.y(), a.width(), a.height(), a.score());
                assertThat(Arrays.equals(a.keypoints(), b.keypoints())).isTrue();
            }
            if (minScore == 0.6f) {
                assertThat(full).hasSize(1);
                assertThat(rows.size()).as("candidates of one face").isBetween(1, BlazeFaceCuda.CANDIDATE_CAP);
            }
        }
    }
}
