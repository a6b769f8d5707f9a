package io.omnistream.gpu.encoders.vad;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.testutils.OnnxRuntimeOracle;
import io.omnistream.gpu.testutils.Recordings;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The twin built from the file's weights against ONNX Runtime (CPU) running the same file, on all ten
 * pocketsphinx-testdata recordings as ten sessions of one batch, fed in 20 ms pieces as the pipeline delivers
 * audio. Tolerance: 1e-4 absolute on every chunk's probability and on the final LSTM state (both sides compute in
 * fp32, in different summation orders); speech decisions at 0.5 identical on every chunk.
 */
class SileroVadOracleTest {
    static final double TOLERANCE = 1e-4;

    @Test
    void twinMatchesOnnxRuntimeOnEveryChunkOfTenRecordings() throws Exception {
        int n = Recordings.FILES.size();
        float[][] audio = new float[n][];
        for (int s = 0; s < n; s++) {
            audio[s] = Recordings.load(Recordings.FILES.get(s));
        }
        OnnxRuntimeOracle.VadRun[] ort = new OnnxRuntimeOracle.VadRun[n];
        try (OnnxRuntimeOracle oracle = new OnnxRuntimeOracle(EncoderModels.require(EncoderModels.SILERO_VAD))) {
            for (int s = 0; s < n; s++) {
                ort[s] = oracle.sileroVad(audio[s]);
            }
        }

        VadStreams.State[] states = SileroVadTwinTest.fresh(n);
        VadStreams vad = new VadStreams(new SileroVadTwin(SileroVadWeights.load(EncoderModels.require(EncoderModels.SILERO_VAD))));
        float[][] twin = new float[n][0];
        int piece = 320;
        int longest = Arrays.stream(audio).mapToInt(a -> a.length).max().orElse(0);
        for (int at = 0; at < longest; at += piece) {
            float[][] pieces = new float[n][];
            for (int s = 0; s < n; s++) {
                pieces[s] = Arrays.copyOfRange(audio[s], Math.min(at, audio[s].length), Math.min(at + piece, audio[s].length));
            }
            float[][] p = vad.process(states, pieces);
            for (int s = 0; s < n; s++) {
                float[] joined = Arrays.copyOf(twin[s], twin[s].length + p[s].length);
                System.arraycopy(p[s], 0, joined, twin[s].length, p[s].length);
                twin[s] = joined;
            }
        }

        double worstProb = 0;
        double worstState = 0;
        int chunks = 0;
        int speech = 0;
        for (int s = 0; s < n; s++) {
            String file = Recordings.FILES.get(s);
            float[] expected = ort[s].probabilities();
            assertThat(twin[s]).as(file).hasSize(expected.length);
            for (int c = 0; c < expected.length; c++) {
                double d = Math.abs(twin[s][c] - expected[c]);
                worstProb = Math.max(worstProb, d);
                assertThat(d).as("%s chunk %d: twin %s, ONNX Runtime %s", file, c, twin[s][c], expected[c]).isLessThanOrEqualTo(TOLERANCE);
                assertThat(twin[s][c] > 0.5f).as("%s chunk %d decision", file, c).isEqualTo(expected[c] > 0.5f);
                speech += expected[c] > 0.5f ? 1 : 0;
            }
            chunks += expected.length;
            for (int k = 0; k < SileroVadEncoder.STATE; k++) {
                double d = Math.abs(states[s].hc[k] - ort[s].finalState()[k]);
                worstState = Math.max(worstState, d);
                assertThat(d).as("%s final state %d", file, k).isLessThanOrEqualTo(TOLERANCE);
            }
        }
        assertThat(speech).as("chunks ONNX Runtime calls speech").isBetween(chunks / 10, chunks - chunks / 10);
        System.out.printf("Silero VAD twin vs ONNX Runtime: %d recordings, %d chunks (%d speech), max |dp| %.3e, max |d state| %.3e%n",
                n, chunks, speech, worstProb, worstState);
    }
}
