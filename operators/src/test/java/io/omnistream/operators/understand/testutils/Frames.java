package io.omnistream.operators.understand.testutils;

import io.omnistream.schemas.LatencyTrace;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/** Perception frames and speech events of a session built from real recordings and screenshots. */
public final class Frames {
    public static final long TICK_MICROS = 40_000;
    public static final int TICK_SAMPLES = 640;

    private Frames() {}

    /**
     * 40 ms frames: {@code leadMillis} of silence, the speech, {@code tailMillis} of silence; the screen
     * picture (may be null) is shown from frame {@code screenFromTick} on and flagged as changed there.
     */
    public static List<PerceptionFrame> session(String sessionId, short[] speech, int leadMillis, int tailMillis, byte[] screenJpeg,
            int screenFromTick) {
        int lead = leadMillis * 16;
        int total = lead + speech.length + tailMillis * 16;
        short[] all = new short[total];
        System.arraycopy(speech, 0, all, lead, speech.length);
        List<PerceptionFrame> out = new ArrayList<>();
        VideoFrame screen = screenJpeg == null ? null : VideoFrame.newBuilder()
                .setSeq(1).setCaptureTimeMicros(screenFromTick * TICK_MICROS).setWidth(0).setHeight(0)
                .setJpeg(ByteBuffer.wrap(screenJpeg)).build();
        for (int t = 0; t * TICK_SAMPLES < total; t++) {
            int from = t * TICK_SAMPLES;
            int to = Math.min(total, from + TICK_SAMPLES);
            short[] tick = new short[TICK_SAMPLES];
            System.arraycopy(all, from, tick, 0, to - from);
            boolean showScreen = screen != null && t >= screenFromTick;
            out.add(PerceptionFrame.newBuilder()
                    .setSessionId(sessionId)
                    .setTickIndex(t)
                    .setTickStartMicros(t * TICK_MICROS)
                    .setTickEndMicros((t + 1) * TICK_MICROS)
                    .setAudio(ByteBuffer.wrap(Recordings.pcm(tick, 0, tick.length)))
                    .setScreen(showScreen ? screen : null)
                    .setScreenState(showScreen ? TrackState.OK : TrackState.MISSING)
                    .setScreenChanged(showScreen && t == screenFromTick)
                    .build());
        }
        return out;
    }

    public static SpeechEvent event(String sessionId, SpeechEventType type, long turnId, long sessionTimeMicros, long speechTimeMicros) {
        return SpeechEvent.newBuilder()
                .setSessionId(sessionId)
                .setEventId(sessionId + "-" + type + "-" + turnId + "-" + sessionTimeMicros)
                .setType(type)
                .setTurnId(turnId)
                .setSessionTimeMicros(sessionTimeMicros)
                .setSpeechTimeMicros(speechTimeMicros)
                .setConfidence(0.9f)
                .setTrace(LatencyTrace.newBuilder().setSessionId(sessionId).setTraceId(sessionId + "/" + turnId)
                        .setTurnId(turnId).setStages(new HashMap<>()).build())
                .build();
    }

    /** Rounds micros up to the end of the tick that contains them. */
    public static long tickEnd(long micros) {
        return (micros / TICK_MICROS + 1) * TICK_MICROS;
    }
}
