package io.omnistream.loadtests.route;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One replayed session of the routing tuner: microphone audio, the camera (per 15 fps picture: off, front face
 * with a mouth opening, turned away), the screen share (the picture shown from each change on), whether the agent
 * is speaking, and the customer's utterances (truth for the end-of-turn latency).
 */
public final class TunerSession implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String id;
    /** "eval:<scenario>" for the turn-taking evaluation set, "mix:<kind>" for the realistic session mix. */
    public final String kind;
    public final short[] audio;
    public final byte[] pictureMode;
    public final float[] opening;
    public final boolean agentSpeaking;
    /** Session times (micros) at which the screen picture changes, ascending; empty = no screen share. */
    public final List<Long> screenChangeMicros = new ArrayList<>();
    /** The JPEG shown from the matching change on. */
    public final List<byte[]> screenJpeg = new ArrayList<>();
    public final List<long[]> utterances = new ArrayList<>();

    public TunerSession(String id, String kind, short[] audio, byte[] pictureMode, float[] opening, boolean agentSpeaking) {
        this.id = id;
        this.kind = kind;
        this.audio = audio;
        this.pictureMode = pictureMode;
        this.opening = opening;
        this.agentSpeaking = agentSpeaking;
    }

    /** Index of the screen picture shown at {@code micros}, -1 before the first. */
    public int screenAt(long micros) {
        int k = -1;
        for (int i = 0; i < screenChangeMicros.size() && screenChangeMicros.get(i) <= micros; i++) {
            k = i;
        }
        return k;
    }

    public long durationMicros() {
        return audio.length * 1_000_000L / 16_000;
    }
}
