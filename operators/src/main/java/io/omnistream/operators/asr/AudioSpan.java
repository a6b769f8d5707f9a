package io.omnistream.operators.asr;

/**
 * A stretch of 16 kHz PCM16 audio on the session clock, as the recogniser holds it in keyed state: the
 * ticks of the pre-roll ring and the audio of the turn in progress, which a restored operator replays
 * into a fresh decoder. A Flink POJO (public fields, no-arg constructor) so that its state is
 * serialized without Kryo; never modified once created.
 */
public class AudioSpan {
    public long start;
    public long end;
    public short[] samples;
    /**
     * A tick the modality router marked as needing no decoding ({@code asrActive} false): kept for the pre-roll, not
     * fed once its segment has begun.
     */
    public boolean routedOut;

    public AudioSpan() {}

    public AudioSpan(long start, long end, short[] samples, boolean routedOut) {
        this(start, end, samples);
        this.routedOut = routedOut;
    }

    public AudioSpan(long start, long end, short[] samples) {
        this.start = start;
        this.end = end;
        this.samples = samples;
    }
}
