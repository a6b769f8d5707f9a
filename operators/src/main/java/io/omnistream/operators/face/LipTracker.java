package io.omnistream.operators.face;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.minMaxLoc;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.TM_CCOEFF_NORMED;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.matchTemplate;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import ai.onnxruntime.OrtException;
import io.omnistream.operators.perception.PerceptionConfig;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Face → mouth region → lip features for one session's camera pictures. BlazeFace runs on every
 * Nth picture (or when tracking is lost); in between the main face's box is tracked by normalised
 * template matching on a reduced grey picture. With several faces the one overlapping the current
 * main face is kept, otherwise the largest. State lives in {@link LipState} (Flink keyed state); the
 * tracker itself holds only the shared detector, so one instance serves all keys of an operator. Where the
 * batched GPU stage already ran BlazeFace on a picture, its faces are used instead of the detector's
 * ({@link #observe(LipState, byte[], int, boolean, List)}).
 */
public final class LipTracker {
    public static final int PATCH_W = 32;
    public static final int PATCH_H = 16;
    private static final int WORK_WIDTH = 160;

    private final BlazeFaceDetector detector;
    private final PerceptionConfig config;
    /** Pictures this instance ran its own detector on (the rest of the detections used faces found upstream). */
    private long detectorRuns;

    public LipTracker(BlazeFaceDetector detector, PerceptionConfig config) {
        this.detector = detector;
        this.config = config;
    }

    /** Pictures this instance (all keys of its operator) ran BlazeFace on itself. */
    public long detectorRuns() {
        return detectorRuns;
    }

    /** Thrown for pictures that cannot be used (corrupt or oversized JPEG); the caller counts and skips. */
    public static final class BadPictureException extends Exception {
        public BadPictureException(String message) {
            super(message);
        }
    }

    public LipObservation observe(LipState st, byte[] jpeg) throws BadPictureException, OrtException {
        return observe(st, jpeg, config.detectEveryNthFrame, true);
    }

    /**
     * As {@link #observe(LipState, byte[])} with the detection period chosen per call (the modality router's face
     * mode): {@code detectEveryN} pictures between detections, and {@code mayDetect} false to only track the last
     * box (no face or a lost track then reads as no face).
     */
    public LipObservation observe(LipState st, byte[] jpeg, int detectEveryN, boolean mayDetect) throws BadPictureException, OrtException {
        return observe(st, jpeg, detectEveryN, mayDetect, null);
    }

    /**
     * As {@link #observe(LipState, byte[], int, boolean)}, with the faces BlazeFace already found in this picture
     * upstream ({@code io.omnistream.operators.gpu.BatchedFaceOperator}, batched across sessions), or null. Given
     * faces make this picture a detection picture that uses them instead of running the detector (unless
     * {@code mayDetect} is false); everything else — tracking between detections, the choice of the main face, the
     * mouth crop and the lip features — is unchanged. Without them the tracker behaves exactly as before, so a picture
     * on which tracking is lost still runs the detector here.
     */
    public LipObservation observe(LipState st, byte[] jpeg, int detectEveryN, boolean mayDetect, List<Face> detected)
            throws BadPictureException, OrtException {
        try (Mat bgr = decode(jpeg, config.maxJpegBytes)) {
            return observe(st, bgr, detectEveryN, mayDetect, detected);
        }
    }

    /**
     * The BGR picture of a camera JPEG; throws for empty, oversized ({@code maxJpegBytes}), undecodable or tiny
     * (under 16×16) pictures. The caller closes the result.
     */
    public static Mat decode(byte[] jpeg, int maxJpegBytes) throws BadPictureException {
        if (jpeg == null || jpeg.length == 0) {
            throw new BadPictureException("empty JPEG");
        }
        if (jpeg.length > maxJpegBytes) {
            throw new BadPictureException("oversized JPEG: " + jpeg.length + " bytes");
        }
        try (BytePointer bp = new BytePointer(jpeg);
                Mat buf = new Mat(1, jpeg.length, CV_8UC1, bp)) {
            Mat bgr = imdecode(buf, IMREAD_COLOR);
            if (bgr == null || bgr.empty() || bgr.cols() < 16 || bgr.rows() < 16) {
                if (bgr != null) {
                    bgr.close();
                }
                throw new BadPictureException("corrupt JPEG (" + jpeg.length + " bytes)");
            }
            return bgr;
        }
    }

    public LipObservation observe(LipState st, Mat bgr) throws OrtException {
        return observe(st, bgr, config.detectEveryNthFrame, true, null);
    }

    private LipObservation observe(LipState st, Mat bgr, int detectEveryN, boolean mayDetect, List<Face> given) throws OrtException {
        int w = bgr.cols();
        int h = bgr.rows();
        float ws = Math.min(1f, (float) WORK_WIDTH / w);
        try (Mat gray = new Mat(); Mat work = new Mat()) {
            cvtColor(bgr, gray, COLOR_BGR2GRAY);
            resize(gray, work, new Size(Math.max(1, Math.round(w * ws)), Math.max(1, Math.round(h * ws))), 0, 0, INTER_AREA);
            boolean detected = false;
            boolean needDetect = given != null || !st.hasFace || st.template == null || st.workScale != ws
                    || st.framesSinceDetect + 1 >= detectEveryN;
            if (!mayDetect) {
                if (!st.hasFace || st.template == null || st.workScale != ws || !track(st, work, ws)) {
                    st.loseFace();
                    return new LipObservation(false, 0, 0, 0, false, st.facesInLastDetection);
                }
                needDetect = false;
            } else if (!needDetect && !track(st, work, ws)) {
                needDetect = true;
            }
            if (needDetect) {
                detected = true;
                st.detections++;
                List<Face> faces = given;
                if (faces == null) {
                    detectorRuns++;
                    faces = detector.detect(bgr);
                }
                st.facesInLastDetection = faces.size();
                Face main = chooseMain(st, faces, w);
                if (main == null) {
                    st.loseFace();
                    return new LipObservation(false, 0, 0, 0, true, faces.size());
                }
                adopt(st, main, work, ws, w, h);
            } else {
                st.tracked++;
                st.framesSinceDetect++;
            }
            return measureMouth(st, gray, detected);
        }
    }

    private Face chooseMain(LipState st, List<Face> faces, int pictureWidth) {
        Face best = null;
        float bestKey = -1;
        for (Face f : faces) {
            if (f.width < config.minFaceWidthFraction * pictureWidth) {
                continue;
            }
            float key = f.area() * f.score;
            if (st.hasFace) {
                float iou = f.iou(st.faceX, st.faceY, st.faceW, st.faceH);
                if (iou > 0.2f) {
                    key = Float.MAX_VALUE / 2 + iou;
                }
            }
            if (key > bestKey) {
                bestKey = key;
                best = f;
            }
        }
        return best;
    }

    private void adopt(LipState st, Face f, Mat work, float ws, int w, int h) {
        float iou = st.hasFace ? f.iou(st.faceX, st.faceY, st.faceW, st.faceH) : 0f;
        boolean continuing = iou > 0.2f;
        if (iou > 0.8f && st.template != null && st.workScale == ws) {
            // the same face where we track it: keep the box (re-detection jitter would read as lip motion)
            st.faceScore = f.score;
            st.framesSinceDetect = 0;
            return;
        }
        st.hasFace = true;
        st.faceX = Math.max(0, f.x);
        st.faceY = Math.max(0, f.y);
        st.faceW = Math.min(w - st.faceX, f.width);
        st.faceH = Math.min(h - st.faceY, f.height);
        st.mouthRelX = (f.mouthX() - st.faceX) / Math.max(1f, st.faceW);
        st.mouthRelY = (f.mouthY() - st.faceY) / Math.max(1f, st.faceH);
        st.faceScore = f.score;
        st.framesSinceDetect = 0;
        st.workScale = ws;
        if (!continuing) {
            st.prevMouth = null;
        }
        Rect r = clamp(Math.round(st.faceX * ws), Math.round(st.faceY * ws), Math.round(st.faceW * ws), Math.round(st.faceH * ws), work.cols(), work.rows());
        if (r == null || r.width() < 8 || r.height() < 8) {
            st.template = null;
            return;
        }
        try (Mat roi = new Mat(work, r); Mat copy = roi.clone()) {
            st.template = new byte[r.width() * r.height()];
            copy.data().get(st.template);
            st.templateW = r.width();
            st.templateH = r.height();
        }
    }

    /** Template matching in a window around the previous box; false when tracking is lost. */
    private boolean track(LipState st, Mat work, float ws) {
        int tw = st.templateW;
        int th = st.templateH;
        int px = Math.round(st.faceX * ws);
        int py = Math.round(st.faceY * ws);
        int margin = Math.max(4, Math.max(tw, th) / 2);
        Rect search = clamp(px - margin, py - margin, tw + 2 * margin, th + 2 * margin, work.cols(), work.rows());
        if (search == null || search.width() < tw || search.height() < th) {
            return false;
        }
        try (BytePointer tp = new BytePointer(st.template);
                Mat templ = new Mat(th, tw, CV_8UC1, tp);
                Mat area = new Mat(work, search);
                Mat result = new Mat();
                DoublePointer maxVal = new DoublePointer(1);
                Point maxLoc = new Point()) {
            matchTemplate(area, templ, result, TM_CCOEFF_NORMED);
            minMaxLoc(result, null, maxVal, null, maxLoc, null);
            double score = maxVal.get();
            if (!(score >= config.trackMinScore)) {
                return false;
            }
            int nx = search.x() + maxLoc.x();
            int ny = search.y() + maxLoc.y();
            if (nx != px || ny != py) { // dead band: sub-pixel jitter must not move the mouth patch
                st.faceX = nx / ws;
                st.faceY = ny / ws;
            }
            return true;
        }
    }

    private LipObservation measureMouth(LipState st, Mat gray, boolean detected) {
        float mw = config.mouthWidthFraction * st.faceW;
        float mh = config.mouthHeightFraction * st.faceH;
        float cx = st.faceX + st.mouthRelX * st.faceW;
        float cy = st.faceY + st.mouthRelY * st.faceH;
        Rect r = clamp(Math.round(cx - mw / 2), Math.round(cy - mh / 2), Math.round(mw), Math.round(mh), gray.cols(), gray.rows());
        if (r == null || r.width() < 4 || r.height() < 4) {
            st.loseFace();
            return new LipObservation(false, 0, 0, 0, detected, st.facesInLastDetection);
        }
        byte[] patch = new byte[PATCH_W * PATCH_H];
        try (Mat roi = new Mat(gray, r); Mat small = new Mat()) {
            resize(roi, small, new Size(PATCH_W, PATCH_H), 0, 0, INTER_AREA);
            try (UByteIndexer idx = small.createIndexer()) {
                for (int y = 0; y < PATCH_H; y++) {
                    for (int x = 0; x < PATCH_W; x++) {
                        patch[y * PATCH_W + x] = (byte) idx.get(y, x);
                    }
                }
            }
        }
        float motion = 0;
        if (st.prevMouth != null && st.prevMouth.length == patch.length) {
            long sum = 0;
            for (int i = 0; i < patch.length; i++) {
                sum += Math.abs((patch[i] & 0xff) - (st.prevMouth[i] & 0xff));
            }
            motion = (float) sum / patch.length;
        }
        st.prevMouth = patch;
        float openness = openness(patch);
        st.lastMotion = motion;
        st.lastOpenness = openness;
        return new LipObservation(true, motion, openness, st.faceScore, detected, st.facesInLastDetection);
    }

    /** Fraction of the central mouth patch darker than 55 % of the patch's median grey: the gap between open lips. */
    static float openness(byte[] patch) {
        int[] hist = new int[256];
        for (byte b : patch) {
            hist[b & 0xff]++;
        }
        int half = patch.length / 2;
        int median = 0;
        for (int acc = 0; median < 255 && acc + hist[median] <= half; median++) {
            acc += hist[median];
        }
        int threshold = (int) (0.55f * median);
        int dark = 0;
        int total = 0;
        for (int y = 0; y < PATCH_H; y++) {
            for (int x = PATCH_W / 4; x < 3 * PATCH_W / 4; x++) {
                total++;
                if ((patch[y * PATCH_W + x] & 0xff) < threshold) {
                    dark++;
                }
            }
        }
        return (float) dark / total;
    }

    private static Rect clamp(int x, int y, int w, int h, int maxW, int maxH) {
        int x1 = Math.max(0, x);
        int y1 = Math.max(0, y);
        int x2 = Math.min(maxW, x + w);
        int y2 = Math.min(maxH, y + h);
        if (x2 <= x1 || y2 <= y1) {
            return null;
        }
        return new Rect(x1, y1, x2 - x1, y2 - y1);
    }
}
