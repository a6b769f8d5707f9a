package io.omnistream.loadtests.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * One generated evaluation session: what the microphone hears, what the camera shows (per 15 fps
 * picture: camera off / front face with a mouth opening / turned away), whether the agent is
 * speaking, and the truth the metrics are computed against.
 */
public final class EvalSession {
    public static final int SAMPLE_RATE = 16_000;
    public static final int PICTURES_PER_SECOND = 15;

    /** A customer utterance on the session clock (micros); pause fields are -1 when none was inserted. */
    public static final class Utterance {
        public final long startMicros;
        public final long endMicros;
        public final long pauseStartMicros;
        public final long pauseEndMicros;
        public final boolean lipsOpenInPause;

        public Utterance(long startMicros, long endMicros, long pauseStartMicros, long pauseEndMicros, boolean lipsOpenInPause) {
            this.startMicros = startMicros;
            this.endMicros = endMicros;
            this.pauseStartMicros = pauseStartMicros;
            this.pauseEndMicros = pauseEndMicros;
            this.lipsOpenInPause = lipsOpenInPause;
        }

        public boolean hasPause() {
            return pauseStartMicros >= 0;
        }
    }

    public final String id;
    public final String scenario;
    public final short[] audio;
    /** Per picture: 0 camera off, {@link TalkingFace#FRONT}, {@link TalkingFace#TURNED_AWAY}. */
    public final byte[] pictureMode;
    /** Per picture: mouth opening 0..1 (front pictures). */
    public final float[] opening;
    public final boolean agentSpeaking;
    public final List<Utterance> utterances = new ArrayList<>();
    /** Micros of background speech (someone other than the customer) in the session. */
    public long backgroundSpeechMicros;
    /** Delay of the video relative to the audio that the generator applied (micros). */
    public long videoDelayMicros;

    public EvalSession(String id, String scenario, short[] audio, byte[] pictureMode, float[] opening, boolean agentSpeaking) {
        this.id = id;
        this.scenario = scenario;
        this.audio = audio;
        this.pictureMode = pictureMode;
        this.opening = opening;
        this.agentSpeaking = agentSpeaking;
    }

    public long durationMicros() {
        return audio.length * 1_000_000L / SAMPLE_RATE;
    }

    public static long pictureTimeMicros(int k) {
        return Math.round(k * 1_000_000.0 / PICTURES_PER_SECOND);
    }

    /** Index of the newest picture captured at or before {@code micros}. */
    public static int pictureAt(long micros) {
        return (int) Math.floor(micros * (double) PICTURES_PER_SECOND / 1_000_000.0 + 1e-9);
    }
}
