package io.omnistream.operators.face;

/**
 * One detected face in picture pixels: the box and BlazeFace's six keypoints (right eye, left eye,
 * nose tip, mouth centre, right ear tragion, left ear tragion), as a plain value for tests and the
 * lip tracker.
 */
public final class Face {
    public static final int MOUTH = 3;

    public final float x;
    public final float y;
    public final float width;
    public final float height;
    public final float score;
    /** 6 keypoints as x0, y0, x1, y1, ... */
    public final float[] keypoints;

    public Face(float x, float y, float width, float height, float score, float[] keypoints) {
        this.x = x;
        this.y = y;
        this.width = width;
        this.height = height;
        this.score = score;
        this.keypoints = keypoints;
    }

    public float mouthX() {
        return keypoints[2 * MOUTH];
    }

    public float mouthY() {
        return keypoints[2 * MOUTH + 1];
    }

    public float area() {
        return Math.max(0, width) * Math.max(0, height);
    }

    public float iou(float ox, float oy, float ow, float oh) {
        float x1 = Math.max(x, ox);
        float y1 = Math.max(y, oy);
        float x2 = Math.min(x + width, ox + ow);
        float y2 = Math.min(y + height, oy + oh);
        float inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
        float union = area() + Math.max(0, ow) * Math.max(0, oh) - inter;
        return union <= 0 ? 0 : inter / union;
    }

    public float iou(Face o) {
        return iou(o.x, o.y, o.width, o.height);
    }

    @Override
    public String toString() {
        return String.format("Face[%.0f,%.0f %.0fx%.0f s=%.2f mouth=%.0f,%.0f]", x, y, width, height, score, mouthX(), mouthY());
    }
}
