package io.omnistream.operators.face;

import static io.omnistream.operators.perception.PerceptionTestData.astronaut;
import static io.omnistream.operators.perception.PerceptionTestData.face;
import static io.omnistream.operators.perception.PerceptionTestData.jpeg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.hconcat;

import io.omnistream.operators.perception.ModelFiles;
import io.omnistream.operators.perception.PerceptionTestData;
import io.omnistream.operators.perception.PerceptionConfig;
import java.util.Arrays;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LipTrackerTest {
    private static BlazeFaceDetector detector;
    private static Mat astronaut;
    private final PerceptionConfig config = PerceptionConfig.defaults();

    @BeforeAll
    static void load() throws Exception {
        detector = new BlazeFaceDetector(ModelFiles.require(ModelFiles.modelsDir(), ModelFiles.BLAZEFACE_FRONT), 0.6f, 0.3f, 1);
        astronaut = astronaut();
    }

    @AfterAll
    static void close() throws Exception {
        detector.close();
    }

    @Test
    void opennessGrowsAsTheMouthOpens() throws Exception {
        LipTracker t = new LipTracker(detector, config);
        LipState st = new LipState();
        float closed = t.observe(st, face(astronaut, 0)).openness;
        float half = t.observe(st, face(astronaut, 0.5)).openness;
        float open = t.observe(st, face(astronaut, 1)).openness;
        assertThat(half).isGreaterThan(closed + 0.1f);
        assertThat(open).isGreaterThan(half + 0.1f);
    }

    @Test
    void motionIsNearZeroForAStillMouthAndLargeWhenItMoves() throws Exception {
        LipTracker t = new LipTracker(detector, config);
        LipState st = new LipState();
        byte[] closed = face(astronaut, 0);
        t.observe(st, closed);
        LipObservation still = t.observe(st, closed);
        LipObservation moved = t.observe(st, face(astronaut, 1));
        assertThat(still.facePresent).isTrue();
        assertThat(still.motion).isLessThan(config.lipMotionThreshold);
        assertThat(moved.motion).isGreaterThan(5 * config.lipMotionThreshold);
    }

    @Test
    void tracksTheFaceBetweenDetections() throws Exception {
        LipTracker t = new LipTracker(detector, config);
        LipState st = new LipState();
        for (int i = 0; i < 10; i++) {
            assertThat(t.observe(st, face(astronaut, (i % 3) / 2.0)).facePresent).isTrue();
        }
        assertThat(st.detections).isEqualTo(2);
        assertThat(st.tracked).isEqualTo(8);
    }

    @Test
    void keepsTheMainFaceWhenASecondPersonAppears() throws Exception {
        LipTracker t = new LipTracker(detector, config);
        LipState st = new LipState();
        try (Mat portrait = PerceptionTestData.portrait(astronaut);
                Mat grey = new Mat(portrait.rows(), portrait.cols(), CV_8UC3, new Scalar(120, 120, 120, 0));
                Mat alone = new Mat();
                Mat two = new Mat()) {
            hconcat(grey, portrait, alone); // customer on the right
            hconcat(portrait, portrait, two); // someone appears on the left
            t.observe(st, jpeg(alone));
            float x = st.faceX;
            assertThat(st.hasFace).isTrue();
            assertThat(x).isGreaterThan(portrait.cols());
            for (int i = 0; i < 6; i++) {
                t.observe(st, jpeg(two));
            }
            assertThat(st.detections).isGreaterThanOrEqualTo(2);
            assertThat(st.facesInLastDetection).isEqualTo(2);
            assertThat(st.faceX).isCloseTo(x, org.assertj.core.data.Offset.offset(10f));
        }
    }

    @Test
    void reportsNoFaceWhenThePictureHasNone() throws Exception {
        LipTracker t = new LipTracker(detector, config);
        LipState st = new LipState();
        t.observe(st, face(astronaut, 0));
        try (Mat grey = new Mat(512, 512, CV_8UC3, new Scalar(90, 90, 90, 0))) {
            LipObservation o = null;
            for (int i = 0; i < config.detectEveryNthFrame; i++) {
                o = t.observe(st, jpeg(grey));
            }
            assertThat(o.facePresent).isFalse();
            assertThat(st.hasFace).isFalse();
        }
    }

    @Test
    void rejectsCorruptEmptyAndOversizedJpegs() {
        LipTracker t = new LipTracker(detector, config);
        LipState st = new LipState();
        byte[] good = face(astronaut, 0);
        byte[] truncated = Arrays.copyOf(good, 100);
        assertThatThrownBy(() -> t.observe(st, truncated)).isInstanceOf(LipTracker.BadPictureException.class);
        assertThatThrownBy(() -> t.observe(st, new byte[0])).isInstanceOf(LipTracker.BadPictureException.class);
        assertThatThrownBy(() -> t.observe(st, new byte[config.maxJpegBytes + 1])).isInstanceOf(LipTracker.BadPictureException.class);
    }
}
