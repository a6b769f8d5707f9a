package io.omnistream.loadtests.loop;

import io.omnistream.connectors.edge.PcmResampler;
import io.omnistream.loadtests.eval.SpeechBoundaries;
import java.util.Arrays;

/**
 * What one load-generator client says, over and over: one real recording (trimmed around its known speech) followed
 * by silence long enough for the agent to answer, at 48 kHz. {@link #endSample} is the true end of speech within
 * one loop, from {@link SpeechBoundaries}.
 */
public final class SpeechLoop {
    public final short[] pcm48k;
    public final long startSample;
    public final long endSample;

    public SpeechLoop(short[] recording16k, double silenceSec) {
        SpeechBoundaries b = SpeechBoundaries.of(recording16k);
        int from = Math.max(0, b.start - 3200);
        int to = Math.min(recording16k.length, b.end + 800);
        short[] s16 = Arrays.copyOf(Arrays.copyOfRange(recording16k, from, to), to - from + (int) (silenceSec * 16000));
        pcm48k = new PcmResampler(16000, 48000).process(s16, 0, s16.length);
        startSample = (b.start - from) * 3L;
        endSample = (b.end - from) * 3L;
    }

    public double loopSeconds() {
        return pcm48k.length / 48000.0;
    }
}
