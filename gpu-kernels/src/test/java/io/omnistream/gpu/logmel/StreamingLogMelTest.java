package io.omnistream.gpu.logmel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.omnistream.gpu.testutils.Signals;
import org.junit.jupiter.api.Test;

class StreamingLogMelTest {

    private final LogMelTwin twin = new LogMelTwin();

    @Test
    void chunkedStreamGivesTheSameFramesAsFramingTheWholeSignal() {
        float[] audio = Signals.voiceLike(16000, 3);
        int expectedFrames = (audio.length - LogMel.N_FFT) / LogMel.HOP + 1;
        float[] offlineFrames = new float[expectedFrames * LogMel.N_FFT];
        for (int f = 0; f < expectedFrames; f++) {
            System.arraycopy(audio, f * LogMel.HOP, offlineFrames, f * LogMel.N_FFT, LogMel.N_FFT);
        }
        StreamingLogMel s = new StreamingLogMel();
        float[] streamed = new float[expectedFrames * LogMel.N_FFT];
        int frames = 0;
        int[] chunks = {640, 320, 1, 159, 800, 17};
        int pos = 0;
        int c = 0;
        while (pos < audio.length) {
            int len = Math.min(chunks[c++ % chunks.length], audio.length - pos);
            frames += s.appendAndFrame(audio, pos, len, streamed, frames);
            pos += len;
        }
        assertThat(frames).isEqualTo(expectedFrames);
        io.omnistream.gpu.testutils.Compare.sameFloats("frames", streamed, offlineFrames);
    }

    @Test
    void keepsA240SampleTailWhenChunksAre40Ms() {
        StreamingLogMel s = new StreamingLogMel();
        float[] out = new float[8 * LogMel.N_FFT];
        assertThat(s.appendAndFrame(new float[640], 0, 640, out, 0)).isEqualTo(2);
        assertThat(s.tailLength()).isEqualTo(320);
        assertThat(s.appendAndFrame(new float[640], 0, 640, out, 0)).isEqualTo(4);
        assertThat(s.tailLength()).isEqualTo(320);
        StreamingLogMel t = new StreamingLogMel();
        assertThat(t.appendAndFrame(new float[400], 0, 400, out, 0)).isEqualTo(1);
        assertThat(t.tailLength()).isEqualTo(240);
        assertThat(t.appendAndFrame(new float[160], 0, 160, out, 0)).isEqualTo(1);
        assertThat(t.tailLength()).isEqualTo(240);
    }

    @Test
    void pcm16IsScaledLikeWhisper() {
        StreamingLogMel s = new StreamingLogMel();
        byte[] pcm = new byte[LogMel.N_FFT * 2];
        pcm[0] = 0x00;
        pcm[1] = 0x40; // 16384 -> 0.5
        pcm[2] = 0x00;
        pcm[3] = (byte) 0x80; // -32768 -> -1
        float[] out = new float[LogMel.N_FFT];
        assertThat(s.appendPcm16Le(pcm, 0, pcm.length, out, 0)).isEqualTo(1);
        assertThat(out[0]).isEqualTo(0.5f);
        assertThat(out[1]).isEqualTo(-1f);
    }

    @Test
    void normalisationClampsToEightBelowTheRunningMaximumOfThePastOnly() {
        StreamingLogMel s = new StreamingLogMel();
        float[] mel = new float[3 * LogMel.N_MELS];
        java.util.Arrays.fill(mel, 0, LogMel.N_MELS, -2f);
        mel[0] = 1f; // frame 0 max = 1
        java.util.Arrays.fill(mel, LogMel.N_MELS, 2 * LogMel.N_MELS, -9f); // frame 1: all clamped to 1-8 = -7
        java.util.Arrays.fill(mel, 2 * LogMel.N_MELS, 3 * LogMel.N_MELS, -3f);
        mel[2 * LogMel.N_MELS + 5] = 4f; // frame 2 raises the max to 4: floor -4
        s.normalise(mel, 0, 3);
        assertThat(mel[0]).isEqualTo((1f + 4f) / 4f);
        assertThat(mel[1]).isEqualTo((-2f + 4f) / 4f);
        assertThat(mel[LogMel.N_MELS]).isEqualTo((-7f + 4f) / 4f);
        assertThat(mel[2 * LogMel.N_MELS]).isEqualTo((-3f + 4f) / 4f);
        assertThat(mel[2 * LogMel.N_MELS + 5]).isEqualTo(2f);
        assertThat(s.runningMax()).isEqualTo(4f);
        assertThat(s.frameCount()).isEqualTo(3);
    }

    @Test
    void restoredStateContinuesExactlyWhereTheOldInstanceStopped() {
        float[] audio = Signals.voiceLike(8000, 9);
        StreamingLogMel a = new StreamingLogMel();
        float[] first = a.process(java.util.Arrays.copyOfRange(audio, 0, 3000), twin);
        StreamingLogMel.State state = a.state();
        float[] restA = a.process(java.util.Arrays.copyOfRange(audio, 3000, 8000), twin);
        StreamingLogMel b = new StreamingLogMel(state);
        float[] restB = b.process(java.util.Arrays.copyOfRange(audio, 3000, 8000), twin);
        assertThat(first).isNotEmpty();
        io.omnistream.gpu.testutils.Compare.sameFloats("restored", restB, restA);
        assertThat(b.runningMax()).isEqualTo(a.runningMax());
    }

    @Test
    void appliesWhisperNormalisationWithThePrefixMaximumOfEachFrame() {
        float[] audio = Signals.voiceLike(4000, 1);
        java.util.Arrays.fill(audio, 2400, 4000, 0f); // silence: log floor far below the running maximum
        float[] ours = new StreamingLogMel().process(audio, twin);
        int n = ours.length / LogMel.N_MELS;
        float[] frames = new float[n * LogMel.N_FFT];
        for (int f = 0; f < n; f++) {
            System.arraycopy(audio, f * LogMel.HOP, frames, f * LogMel.N_FFT, LogMel.N_FFT);
        }
        float[] raw = new float[n * LogMel.N_MELS];
        twin.compute(frames, n, raw, null);
        float prefixMax = Float.NEGATIVE_INFINITY;
        int clamped = 0;
        for (int f = 0; f < n; f++) {
            for (int m = 0; m < LogMel.N_MELS; m++) {
                prefixMax = Math.max(prefixMax, raw[f * LogMel.N_MELS + m]);
            }
            for (int m = 0; m < LogMel.N_MELS; m++) {
                float x = raw[f * LogMel.N_MELS + m];
                clamped += x < prefixMax - 8f ? 1 : 0;
                assertThat(ours[f * LogMel.N_MELS + m]).isCloseTo((Math.max(x, prefixMax - 8f) + 4f) / 4f, within(1e-6f));
            }
        }
        assertThat(n).isEqualTo(23);
        assertThat(clamped).as("the signal must exercise the clamp").isPositive();
    }
}
