package io.omnistream.operators.face;

/** What the lip tracker saw in one camera picture; a value so fusion and tests need no OpenCV. */
public final class LipObservation {
    public static final LipObservation NO_FACE = new LipObservation(false, 0, 0, 0, false, 0);

    public final boolean facePresent;
    /** Mean absolute grey difference of the mouth patch to the previous picture's (0..255). */
    public final float motion;
    /** Fraction of the mouth patch darker than the lip level (dark gap between open lips), 0..1. */
    public final float openness;
    public final float faceScore;
    public final boolean detected;
    public final int faces;

    public LipObservation(boolean facePresent, float motion, float openness, float faceScore, boolean detected, int faces) {
        this.facePresent = facePresent;
        this.motion = motion;
        this.openness = openness;
        this.faceScore = faceScore;
        this.detected = detected;
        this.faces = faces;
    }

    @Override
    public String toString() {
        return String.format("Lip[face=%s motion=%.2f open=%.3f score=%.2f det=%s faces=%d]", facePresent, motion, openness, faceScore, detected, faces);
    }
}
