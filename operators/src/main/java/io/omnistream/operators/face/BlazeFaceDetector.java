package io.omnistream.operators.face;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.bytedeco.opencv.global.opencv_core.copyMakeBorder;
import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * MediaPipe BlazeFace (front camera, 128×128) through ONNX Runtime: letterbox to 128×128, run,
 * decode the 896 SSD anchors, weighted non-maximum suppression, map back to picture pixels.
 *
 * <p>Anchor layout is MediaPipe's {@code face_detection_front} SsdAnchorsCalculator options: 4
 * layers, strides 8/16/16/16, anchor offset 0.5, fixed anchor size; i.e. a 16×16 grid with 2
 * anchors per cell (512, output {@code Identity:0}/{@code Identity_2:0}) and an 8×8 grid with 6
 * anchors per cell (384, {@code Identity_1:0}/{@code Identity_3:0}). Box/keypoint offsets are in
 * input pixels (scale 128) relative to the anchor centre. One instance (one ORT session) per
 * operator instance.
 */
public final class BlazeFaceDetector implements AutoCloseable {
    public static final int INPUT = 128;
    private static final float[] ANCHORS = buildAnchors();

    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final float minScore;
    private final float nmsIou;

    public BlazeFaceDetector(Path model, float minScore, float nmsIou, int threads) throws OrtException {
        this.env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        this.session = env.createSession(model.toString(), options);
        this.inputName = session.getInputNames().iterator().next();
        this.minScore = minScore;
        this.nmsIou = nmsIou;
    }

    /** Anchor centres (x, y) in [0, 1], 896 of them in the model's output order. */
    static float[] buildAnchors() {
        float[] a = new float[896 * 2];
        int k = 0;
        for (int[] layer : new int[][] {{16, 2}, {8, 6}}) {
            int grid = layer[0];
            for (int y = 0; y < grid; y++) {
                for (int x = 0; x < grid; x++) {
                    for (int n = 0; n < layer[1]; n++) {
                        a[k++] = (x + 0.5f) / grid;
                        a[k++] = (y + 0.5f) / grid;
                    }
                }
            }
        }
        return a;
    }

    /**
     * Where a picture lies in the 128×128 model input: {@code scale = 128 / max(w, h)} and the black border before it;
     * picture pixels are {@code (input - pad) / scale}.
     */
    public record Geometry(float scale, int padX, int padY) {}

    /**
     * The model input of a BGR picture: resized with area resampling to fit 128×128, RGB, centred on black, NHWC in
     * [-1, 1], written to {@code input[offset, offset + 128·128·3)}. Shared with the batched GPU stage
     * ({@code io.omnistream.operators.gpu.BatchedFaceOperator}) so both paths see the very same input.
     */
    public static Geometry letterbox(Mat bgr, float[] input, int offset) {
        int w = bgr.cols();
        int h = bgr.rows();
        float scale = (float) INPUT / Math.max(w, h);
        int rw = Math.max(1, Math.round(w * scale));
        int rh = Math.max(1, Math.round(h * scale));
        int padX = (INPUT - rw) / 2;
        int padY = (INPUT - rh) / 2;
        float[] one = offset == 0 && input.length == INPUT * INPUT * 3 ? input : new float[INPUT * INPUT * 3];
        try (Mat small = new Mat(); Mat rgb = new Mat(); Mat boxed = new Mat(); Mat f = new Mat()) {
            resize(bgr, small, new Size(rw, rh), 0, 0, INTER_AREA);
            cvtColor(small, rgb, COLOR_BGR2RGB);
            copyMakeBorder(rgb, boxed, padY, INPUT - rh - padY, padX, INPUT - rw - padX, BORDER_CONSTANT, new Scalar(0, 0, 0, 0));
            boxed.convertTo(f, CV_32FC3, 2.0 / 255.0, -1.0);
            try (FloatIndexer idx = f.createIndexer()) {
                idx.get(0, 0, one);
            }
        }
        if (one != input) {
            System.arraycopy(one, 0, input, offset, one.length);
        }
        return new Geometry(scale, padX, padY);
    }

    /** Faces in a BGR picture, best first. */
    public List<Face> detect(Mat bgr) throws OrtException {
        float[] input = new float[INPUT * INPUT * 3];
        Geometry g = letterbox(bgr, input, 0);
        float scale = g.scale();
        int padX = g.padX();
        int padY = g.padY();
        List<Face> raw = new ArrayList<>();
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {1, INPUT, INPUT, 3});
                OrtSession.Result r = session.run(Map.of(inputName, t))) {
            float[][] s512 = ((float[][][]) r.get("Identity:0").get().getValue())[0];
            float[][] s384 = ((float[][][]) r.get("Identity_1:0").get().getValue())[0];
            float[][] b512 = ((float[][][]) r.get("Identity_2:0").get().getValue())[0];
            float[][] b384 = ((float[][][]) r.get("Identity_3:0").get().getValue())[0];
            for (int i = 0; i < 896; i++) {
                float logit = i < 512 ? s512[i][0] : s384[i - 512][0];
                float score = sigmoid(Math.max(-100f, Math.min(100f, logit)));
                if (score < minScore) {
                    continue;
                }
                float[] b = i < 512 ? b512[i] : b384[i - 512];
                raw.add(decode(b, i, score, scale, padX, padY));
            }
        }
        return weightedNms(raw, nmsIou);
    }

    private static Face decode(float[] b, int anchor, float score, float scale, int padX, int padY) {
        float ax = ANCHORS[2 * anchor] * INPUT;
        float ay = ANCHORS[2 * anchor + 1] * INPUT;
        float cx = b[0] + ax;
        float cy = b[1] + ay;
        float bw = b[2];
        float bh = b[3];
        float[] kp = new float[12];
        for (int k = 0; k < 6; k++) {
            kp[2 * k] = (b[4 + 2 * k] + ax - padX) / scale;
            kp[2 * k + 1] = (b[5 + 2 * k] + ay - padY) / scale;
        }
        return new Face((cx - bw / 2 - padX) / scale, (cy - bh / 2 - padY) / scale, bw / scale, bh / scale, score, kp);
    }

    /** MediaPipe's weighted NMS: overlapping detections are averaged by score. */
    static List<Face> weightedNms(List<Face> faces, float iouThreshold) {
        List<Face> rest = new ArrayList<>(faces);
        rest.sort(Comparator.comparingDouble((Face f) -> f.score).reversed());
        List<Face> out = new ArrayList<>();
        while (!rest.isEmpty()) {
            Face top = rest.get(0);
            List<Face> group = new ArrayList<>();
            List<Face> keep = new ArrayList<>();
            for (Face f : rest) {
                (f == top || top.iou(f) > iouThreshold ? group : keep).add(f); // a zero-area top box must still leave
            }
            rest = keep;
            float total = 0;
            float x = 0, y = 0, w = 0, h = 0;
            float[] kp = new float[12];
            for (Face f : group) {
                total += f.score;
                x += f.x * f.score;
                y += f.y * f.score;
                w += f.width * f.score;
                h += f.height * f.score;
                for (int i = 0; i < 12; i++) {
                    kp[i] += f.keypoints[i] * f.score;
                }
            }
            for (int i = 0; i < 12; i++) {
                kp[i] /= total;
            }
            out.add(new Face(x / total, y / total, w / total, h / total, top.score, kp));
        }
        return out;
    }

    private static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
