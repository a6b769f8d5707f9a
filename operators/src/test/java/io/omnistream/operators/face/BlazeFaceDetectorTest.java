package io.omnistream.operators.face;

import static io.omnistream.operators.perception.PerceptionTestData.astronaut;
import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.hconcat;

import io.omnistream.operators.perception.ModelFiles;
import io.omnistream.operators.perception.PerceptionTestData;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BlazeFaceDetectorTest {
    private static BlazeFaceDetector detector;

    @BeforeAll
    static void load() throws Exception {
        detector = new BlazeFaceDetector(ModelFiles.require(ModelFiles.modelsDir(), ModelFiles.BLAZEFACE_FRONT), 0.6f, 0.3f, 1);
    }

    @AfterAll
    static void close() throws Exception {
        detector.close();
    }

    @Test
    void anchorsFollowTheFrontModelLayout() {
        float[] a = BlazeFaceDetector.buildAnchors();
        assertThat(a).hasSize(896 * 2);
        assertThat(a[0]).isEqualTo(0.5f / 16);
        assertThat(a[2 * 512]).isEqualTo(0.5f / 8);
        assertThat(a[2 * 895 + 1]).isEqualTo(7.5f / 8);
    }

    @Test
    void findsTheAstronautsFaceWithTheMouthBelowTheEyesInsideTheBox() throws Exception {
        List<Face> faces = detector.detect(astronaut());
        assertThat(faces).hasSize(1);
        Face f = faces.get(0);
        assertThat(f.score).isGreaterThan(0.8f);
        assertThat(f.width).isBetween(60f, 160f);
        float eyesY = (f.keypoints[1] + f.keypoints[3]) / 2;
        assertThat(f.mouthY()).isGreaterThan(eyesY + 0.15f * f.height);
        assertThat(f.mouthX()).isBetween(f.x, f.x + f.width);
        assertThat(f.mouthY()).isBetween(f.y, f.y + f.height);
    }

    @Test
    void findsNoFaceInAPlainPicture() throws Exception {
        try (Mat grey = new Mat(480, 640, CV_8UC3, new Scalar(128, 128, 128, 0))) {
            assertThat(detector.detect(grey)).isEmpty();
        }
    }

    @Test
    void findsBothFacesWhenTwoPeopleAreInThePicture() throws Exception {
        try (Mat a = PerceptionTestData.portrait(astronaut()); Mat two = new Mat()) {
            hconcat(a, a, two);
            List<Face> faces = detector.detect(two);
            assertThat(faces).hasSize(2);
            assertThat(Math.abs(faces.get(0).x - faces.get(1).x)).isBetween(0.8f * a.cols(), 1.2f * a.cols());
        }
    }

    @Test
    void weightedNmsEndsOnZeroAreaBoxes() {
        // a degenerate model output (zero width) has IoU 0 even with itself; NMS must still consume it
        List<Face> out = BlazeFaceDetector.weightedNms(List.of(new Face(10, 10, 0, 20, 0.9f, new float[12]),
                new Face(10, 10, 20, 20, 0.8f, new float[12]), new Face(11, 11, 20, 20, 0.7f, new float[12])), 0.3f);
        assertThat(out).hasSize(2);
        assertThat(out.get(0).score).isEqualTo(0.9f);
    }
}
