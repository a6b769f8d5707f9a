package io.omnistream.operators.route;

import java.io.Serializable;

/**
 * Every threshold of the modality router in one typed place, with defaults validated by the tuner
 * ({@code load-tests/.../route/RouteTuner}, figures in {@code load-tests/RESULTS.md}, "Modality routing (issue 8)";
 * the reasons for each value are in the package documentation).
 *
 * <p>It exists so that the policy is tuned here and nowhere else: the router reads only this object, and the
 * downstream operators only obey the decision the router stamped on the frame. {@link #disabled()} turns
 * routing off (every path runs on every tick, exactly the behaviour without a router).
 */
public final class RouteConfig implements Serializable, Cloneable {
    private static final long serialVersionUID = 1L;

    /** False: the router stamps no decision (route = null) and every operator runs as without routing. */
    public boolean enabled = true;

    // ---- audio: energy gate with hold-over --------------------------------------------------------
    /**
     * Tick energy (dBFS) at or above which the tick counts as loud. At or below the perception's
     * {@code silenceDb} (-50) skipping the VAD cannot change a tick's speech probability: the fusion already
     * treats such ticks as silent whatever the VAD says.
     */
    public float gateDb = -50f;
    /** Loud also requires this many dB above the session's tracked noise floor; 0 = absolute gate only. */
    public float noiseMarginDb = 0f;
    /** How fast the noise-floor estimate may rise (it falls at once to a quieter tick). */
    public float floorRiseDbPerSecond = 1.0f;
    /**
     * Silero VAD keeps running this long after the last loud tick (its recurrent state sees the decay). At least the
     * perception's {@code vadRestartAfterSilenceMicros} minus one tick, so that every switch-on falls on a VAD restart
     * and routing leaves the speech probabilities exactly as always-on.
     */
    public long vadHangoverMicros = 400_000;
    /** The ASR decoder is fed this long after the last loud tick (covers the turn-taking decision delay). */
    public long asrHangoverMicros = 1_000_000;
    /** A decoder held by an open turn is returned to the pool after this much inactive audio. */
    public long asrReleaseAfterMicros = 2_000_000;
    /** Silero's per-session buffers are released after the VAD was skipped this long (re-created on speech). */
    public long vadReleaseAfterMicros = 10_000_000;

    // ---- face and lips ----------------------------------------------------------------------------
    /** Face detection period (camera pictures) around speech; the perception default, so speech is unchanged. */
    public int faceEveryN = 5;
    /**
     * Face detection and lip features stay fully on this long after the last loud tick: the audio-visual
     * end-of-turn decision needs the lips until its longest (open-lips) hangover of 700 ms has passed.
     */
    public long faceHangoverMicros = 1_200_000;
    /** After that, the box is only tracked (no detection) for this long, then face work stops. */
    public long faceTrackOnlyMicros = 1_000_000;
    /**
     * Outside speech the face is still looked at on one tick this often (0 = never): the fusion's closed-lips
     * baseline and the tracked box must be fresh when speech starts, or the first lip readings of a turn are taken
     * against an open mouth and the audio-visual end of turn fires inside the utterance.
     */
    public long faceIdleSampleMicros = 1_000_000;
    /** While the agent speaks, VAD and lip tracking stay on so that a barge-in is caught at its first tick. */
    public boolean agentKeepsWarm = true;

    // ---- screen -----------------------------------------------------------------------------------
    /** Thumbnail (grey, area-averaged from a 1/8 JPEG decode) the screen change magnitude is measured on. */
    public int thumbWidth = 96;
    public int thumbHeight = 54;
    /** A thumbnail pixel counts as changed when its grey level moved by more than this. */
    public int thumbPixelDelta = 12;
    /** Fraction of changed thumbnail pixels (against the last picture released to OCR) that triggers OCR. */
    public float ocrMinChangeFraction = 0.01f;
    /** OCR stays allowed this long after a triggering change (longer than the OCR stability wait, 400 ms). */
    public long ocrHoldMicros = 800_000;
    /** A screen with only small changes is read anyway once it has waited this long. */
    public long ocrMaxDeferMicros = 20_000_000;
    /** While the customer speaks OCR is allowed (the answer will need the current screen). */
    public boolean ocrOnSpeech = true;

    // ---- text encoding ----------------------------------------------------------------------------
    /** Text encoding is allowed this long after the last loud tick or screen read (new transcript or screen text). */
    public long textHangoverMicros = 3_000_000;

    public static RouteConfig defaults() {
        return new RouteConfig();
    }

    /** Routing off: no decision is stamped, every path runs on every tick. */
    public static RouteConfig disabled() {
        RouteConfig c = new RouteConfig();
        c.enabled = false;
        return c;
    }

    public RouteConfig copy() {
        try {
            return (RouteConfig) clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected Object clone() throws CloneNotSupportedException {
        return super.clone();
    }

    /** Fails fast on settings that cannot work. */
    public RouteConfig validate() {
        if (faceEveryN < 1 || thumbWidth < 4 || thumbHeight < 4 || thumbPixelDelta < 0
                || ocrMinChangeFraction < 0 || ocrMinChangeFraction > 1 || noiseMarginDb < 0
                || vadHangoverMicros < 0 || asrHangoverMicros < 0 || faceHangoverMicros < 0 || faceTrackOnlyMicros < 0 || faceIdleSampleMicros < 0
                || ocrHoldMicros < 0 || ocrMaxDeferMicros < 0 || textHangoverMicros < 0) {
            throw new IllegalArgumentException("invalid routing settings: " + this);
        }
        return this;
    }

    @Override
    public String toString() {
        return "RouteConfig{enabled=" + enabled + ", gateDb=" + gateDb + ", noiseMarginDb=" + noiseMarginDb
                + ", vadHangover=" + vadHangoverMicros / 1000 + "ms, asrHangover=" + asrHangoverMicros / 1000
                + "ms, faceHangover=" + faceHangoverMicros / 1000 + "ms, faceTrackOnly=" + faceTrackOnlyMicros / 1000
                + "ms, faceIdleSample=" + faceIdleSampleMicros / 1000 + "ms, faceEveryN=" + faceEveryN + ", ocrMinChange=" + ocrMinChangeFraction + ", ocrHold=" + ocrHoldMicros / 1000
                + "ms, ocrMaxDefer=" + ocrMaxDeferMicros / 1000 + "ms, textHangover=" + textHangoverMicros / 1000 + "ms}";
    }
}
