package io.omnistream.operators.face;

/**
 * Per-session face/lip tracking state kept in Flink keyed state: the main face's box, where its
 * mouth sits inside the box, the grey template used to track the box between detections, and the
 * previous mouth patch for motion energy. A POJO so checkpoints carry it.
 */
public class LipState {
    public boolean hasFace;
    public float faceX;
    public float faceY;
    public float faceW;
    public float faceH;
    /** Mouth keypoint relative to the box, in box widths/heights. */
    public float mouthRelX;
    public float mouthRelY;
    public float faceScore;
    /** Grey template of the face box at working resolution. */
    public byte[] template;
    public int templateW;
    public int templateH;
    public float workScale;
    /** Previous normalised mouth patch ({@link LipTracker#PATCH_W}×{@link LipTracker#PATCH_H}). */
    public byte[] prevMouth;
    public int framesSinceDetect;
    public long lastSeq = Long.MIN_VALUE;
    public long lastCaptureMicros;
    public float lastMotion;
    public float lastOpenness;
    public int facesInLastDetection;
    public long detections;
    public long tracked;

    public LipState() {}

    public void loseFace() {
        hasFace = false;
        template = null;
        prevMouth = null;
        lastMotion = 0;
        lastOpenness = 0;
    }
}
