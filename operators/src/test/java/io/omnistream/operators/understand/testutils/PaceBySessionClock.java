package io.omnistream.operators.understand.testutils;

import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SpeechEvent;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * Releases test records at the wall-clock time their session time says (start + session time), so
 * that a MiniCluster job sees frames and speech events as in a live session: 40 ms apart, events
 * just after the frames they were decided on.
 */
public final class PaceBySessionClock<T> implements MapFunction<T, T> {
    private static final long serialVersionUID = 1L;
    private final long startEpochMillis;
    private final long extraDelayMicros;

    public PaceBySessionClock(long startEpochMillis, long extraDelayMicros) {
        this.startEpochMillis = startEpochMillis;
        this.extraDelayMicros = extraDelayMicros;
    }

    @Override
    public T map(T value) throws Exception {
        long micros;
        if (value instanceof PerceptionFrame) {
            micros = ((PerceptionFrame) value).getTickEndMicros();
            ((PerceptionFrame) value).setEmitTimeMicros(wallMicros());
        } else if (value instanceof SpeechEvent) {
            micros = ((SpeechEvent) value).getSessionTimeMicros();
        } else {
            throw new IllegalArgumentException("cannot pace " + value.getClass());
        }
        long due = startEpochMillis + (micros + extraDelayMicros) / 1000;
        long wait = due - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
        if (value instanceof SpeechEvent && ((SpeechEvent) value).getTrace() != null) {
            ((SpeechEvent) value).getTrace().getStages().put("turn.decided", wallMicros());
        }
        return value;
    }

    /** Wall clock in epoch microseconds (the unit of latency traces). */
    public static long wallMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
