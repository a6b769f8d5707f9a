package io.omnistream.gpu.encoders.face;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns {@link BlazeFaceEncoder} outputs into faces: the 896 SSD anchors of MediaPipe's {@code face_detection_front}
 * (a 16×16 grid with 2 anchors per cell, an 8×8 grid with 6, offset 0.5, fixed size), sigmoid scores with the logit
 * clipped to ±100, a minimum score, and MediaPipe's weighted non-maximum suppression (overlapping detections
 * averaged by score). The same rules as the operators' ONNX Runtime detector, so both paths report the same faces.
 */
public final class BlazeFaceDecoder {
    private static final float[] ANCHORS = anchors();

    private final float minScore;
    private final float nmsIou;

    /**
     * @param minScore minimum sigmoid score of a detection (operators' default 0.6)
     * @param nmsIou   IoU above which detections are merged (operators' default 0.3)
     */
    public BlazeFaceDecoder(float minScore, float nmsIou) {
        this.minScore = minScore;
        this.nmsIou = nmsIou;
    }

    /** Anchor centres (x, y) in [0, 1] in the model's output order. */
    static float[] anchors() {
        float[] a = new float[BlazeFaceEncoder.ANCHORS * 2];
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

    /** Faces of frame {@code frame} of a batch's outputs, best first, in input pixels. */
    public List<FaceBox> decode(float[] scores, float[] boxes, int frame) {
        List<FaceBox> raw = new ArrayList<>();
        int sOff = frame * BlazeFaceEncoder.ANCHORS;
        int bOff = sOff * BlazeFaceEncoder.BOX;
        for (int i = 0; i < BlazeFaceEncoder.ANCHORS; i++) {
            add(raw, i, scores[sOff + i], boxes, bOff + i * BlazeFaceEncoder.BOX);
        }
        return weightedNms(raw);
    }

    /**
     * Faces from a frame's candidate rows ({@link #CANDIDATE} floats each: anchor index, logit, 16 regressions, in
     * anchor order, as kernel {@code bf_candidates} writes them): the same faces {@link #decode} finds in the full
     * outputs as long as the rows hold every anchor that passes {@link #candidateLogit()}.
     */
    public List<FaceBox> decodeCandidates(float[] rows, int offset, int count) {
        List<FaceBox> raw = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            int at = offset + r * CANDIDATE;
            int anchor = (int) rows[at];
            if (anchor < 0 || anchor >= BlazeFaceEncoder.ANCHORS) {
                throw new IllegalArgumentException("candidate row " + r + " names anchor " + anchor);
            }
            add(raw, anchor, rows[at + 1], rows, at + 2);
        }
        return weightedNms(raw);
    }

    /** Floats per candidate row of {@link #decodeCandidates}. */
    public static final int CANDIDATE = 2 + BlazeFaceEncoder.BOX;

    /**
     * A logit below which no anchor can reach the minimum score (0.01 below its exact logit, so that a device-side
     * pre-selection never drops an anchor the exact rule keeps); {@code -∞} when every anchor may pass.
     */
    public float candidateLogit() {
        if (!(minScore > 0f)) {
            return Float.NEGATIVE_INFINITY;
        }
        if (minScore >= 1f) {
            return 16f; // sigmoid rounds to 1f only above ~16.6
        }
        return (float) (Math.log(minScore / (1.0 - minScore)) - 0.01);
    }

    private void add(List<FaceBox> raw, int i, float rawLogit, float[] boxes, int b) {
        float logit = Math.max(-100f, Math.min(100f, rawLogit));
        float score = (float) (1.0 / (1.0 + Math.exp(-logit)));
        if (!(score >= minScore)) {
            return;
        }
        float ax = ANCHORS[2 * i] * BlazeFaceEncoder.INPUT;
        float ay = ANCHORS[2 * i + 1] * BlazeFaceEncoder.INPUT;
        float cx = boxes[b] + ax;
        float cy = boxes[b + 1] + ay;
        float w = boxes[b + 2];
        float h = boxes[b + 3];
        float[] kp = new float[12];
        for (int k = 0; k < 6; k++) {
            kp[2 * k] = boxes[b + 4 + 2 * k] + ax;
            kp[2 * k + 1] = boxes[b + 5 + 2 * k] + ay;
        }
        raw.add(new FaceBox(cx - w / 2, cy - h / 2, w, h, score, kp));
    }

    private List<FaceBox> weightedNms(List<FaceBox> faces) {
        List<FaceBox> rest = new ArrayList<>(faces);
        rest.sort(Comparator.comparingDouble((FaceBox f) -> f.score()).reversed());
        List<FaceBox> out = new ArrayList<>();
        while (!rest.isEmpty()) {
            FaceBox top = rest.get(0);
            List<FaceBox> group = new ArrayList<>();
            List<FaceBox> keep = new ArrayList<>();
            for (FaceBox f : rest) {
                // The top detection always joins its own group, even when degenerate (zero area, IoU 0).
                (f == top || top.iou(f) > nmsIou ? group : keep).add(f);
            }
            rest = keep;
            float total = 0;
            float x = 0, y = 0, w = 0, h = 0;
            float[] kp = new float[12];
            for (FaceBox f : group) {
                total += f.score();
                x += f.x() * f.score();
                y += f.y() * f.score();
                w += f.width() * f.score();
                h += f.height() * f.score();
                for (int i = 0; i < 12; i++) {
                    kp[i] += f.keypoints()[i] * f.score();
                }
            }
            for (int i = 0; i < 12; i++) {
                kp[i] /= total;
            }
            out.add(new FaceBox(x / total, y / total, w / total, h / total, top.score(), kp));
        }
        return out;
    }
}
