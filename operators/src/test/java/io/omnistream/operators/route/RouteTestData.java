package io.omnistream.operators.route;

import static org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.putText;
import static org.bytedeco.opencv.global.opencv_imgproc.rectangle;

import io.omnistream.operators.perception.PerceptionTestData;
import io.omnistream.schemas.FaceMode;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.nio.ByteBuffer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;

/** Screens and routed frames for the routing tests (the audio and faces come from {@link PerceptionTestData}). */
public final class RouteTestData {
    private RouteTestData() {}

    /** A 1280×720 screen with a dialog of text lines, and optionally a text cursor (what blinks on an idle screen). */
    public static byte[] screen(String[] lines, boolean cursor) {
        try (Mat m = new Mat(720, 1280, org.bytedeco.opencv.global.opencv_core.CV_8UC3, new Scalar(245, 245, 245, 0))) {
            rectangle(m, new Point(240, 160), new Point(1040, 560), new Scalar(90, 60, 40, 0), 3, LINE_AA, 0);
            for (int i = 0; i < lines.length; i++) {
                putText(m, lines[i], new Point(280, 230 + 60 * i), FONT_HERSHEY_SIMPLEX, 1.1, new Scalar(20, 20, 20, 0), 2, LINE_AA, false);
            }
            if (cursor) {
                rectangle(m, new Point(1000, 500), new Point(1003, 530), new Scalar(0, 0, 0, 0), -1, LINE_AA, 0);
            }
            return PerceptionTestData.jpeg(m);
        }
    }

    public static PerceptionFrame withScreen(PerceptionFrame f, byte[] jpeg, long seq, boolean changed) {
        f.setScreen(jpeg == null ? null : VideoFrame.newBuilder().setSeq(seq).setCaptureTimeMicros(f.getTickStartMicros())
                .setWidth(1280).setHeight(720).setJpeg(ByteBuffer.wrap(jpeg)).build());
        f.setScreenState(jpeg == null ? TrackState.MISSING : TrackState.OK);
        f.setScreenChanged(changed);
        return f;
    }

    /** The decision that runs every path as without routing (the perception's default detection period). */
    public static RouteDecision allOn() {
        return RouteDecision.newBuilder().setFaceMode(FaceMode.EVERY_NTH).setFaceEveryN(5).build();
    }

    public static PerceptionFrame copy(PerceptionFrame f) {
        return PerceptionFrame.newBuilder(f).build();
    }
}
