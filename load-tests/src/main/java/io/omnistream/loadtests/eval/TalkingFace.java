package io.omnistream.loadtests.eval;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.ellipse;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import io.omnistream.operators.face.BlazeFaceDetector;
import io.omnistream.operators.face.Face;
import io.omnistream.operators.perception.ModelFiles;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The evaluation's talking-face video: skimage's {@code astronaut.png} at {@value #SIZE}×{@value #SIZE}
 * with the mouth drawn (OpenCV ellipse) open by a given amount, or the face hidden by the back of a
 * head ("turned away"). The mouth position comes from running BlazeFace once on the clean photo.
 * Pictures are JPEG-encoded once per (mode, opening level) and cached.
 */
public final class TalkingFace {
    public static final int SIZE = 320;
    public static final int LEVELS = 16;
    public static final int FRONT = 1;
    public static final int TURNED_AWAY = 2;

    private final Mat base;
    private final int mouthX;
    private final int mouthY;
    private final int mouthHalfWidth;
    private final int maxHalfHeight;
    private final Face face;
    private final byte[][] front = new byte[LEVELS + 1][];
    private byte[] turned;

    public TalkingFace(Path modelsDir) throws Exception {
        Mat png = imread(ModelFiles.require(modelsDir, ModelFiles.ASTRONAUT).toString());
        if (png.empty()) {
            throw new IllegalStateException("cannot read astronaut.png");
        }
        base = new Mat();
        resize(png, base, new Size(SIZE, SIZE), 0, 0, INTER_AREA);
        try (BlazeFaceDetector d = new BlazeFaceDetector(ModelFiles.require(modelsDir, ModelFiles.BLAZEFACE_FRONT), 0.6f, 0.3f, 1)) {
            List<Face> faces = d.detect(base);
            if (faces.isEmpty()) {
                throw new IllegalStateException("BlazeFace finds no face in astronaut.png");
            }
            face = faces.get(0);
        }
        mouthX = Math.round(face.mouthX());
        mouthY = Math.round(face.mouthY()) + 1;
        mouthHalfWidth = Math.max(4, Math.round(face.width * 0.16f));
        maxHalfHeight = Math.max(3, Math.round(face.height * 0.11f));
    }

    /** JPEG of the picture for a mouth opening in [0, 1] (quantised to {@value #LEVELS} levels). */
    public synchronized byte[] front(double opening) {
        int level = (int) Math.round(Math.max(0, Math.min(1, opening)) * LEVELS);
        if (front[level] == null) {
            try (Mat c = base.clone()) {
                int h = 1 + Math.round((float) level / LEVELS * (maxHalfHeight - 1));
                ellipse(c, new Point(mouthX, mouthY), new Size(mouthHalfWidth, h), 0, 0, 360, new Scalar(40, 28, 75, 0), -1, LINE_AA, 0);
                front[level] = jpeg(c);
            }
        }
        return front[level];
    }

    /** JPEG of the customer turned away: the face covered by the back of the head. */
    public synchronized byte[] turnedAway() {
        if (turned == null) {
            try (Mat c = base.clone()) {
                Point centre = new Point(Math.round(face.x + face.width / 2), Math.round(face.y + face.height / 2));
                ellipse(c, centre, new Size(Math.round(face.width * 0.62f), Math.round(face.height * 0.72f)), 0, 0, 360,
                        new Scalar(25, 35, 55, 0), -1, LINE_AA, 0);
                turned = jpeg(c);
            }
        }
        return turned;
    }

    private static byte[] jpeg(Mat m) {
        try (BytePointer bp = new BytePointer(); IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, 85)) {
            imencode(".jpg", m, bp, params);
            byte[] out = new byte[(int) bp.limit()];
            bp.get(out);
            return out;
        }
    }
}
