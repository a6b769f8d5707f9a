package io.omnistream.operators.vad;

import static io.omnistream.operators.perception.PerceptionTestData.LIBRIVOX_0880;
import static io.omnistream.operators.perception.PerceptionTestData.readWav;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.perception.ModelFiles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SileroVadTest {
    private static SileroVad vad;
    private static float[] speech;

    @BeforeAll
    static void load() throws Exception {
        vad = new SileroVad(ModelFiles.require(ModelFiles.modelsDir(), ModelFiles.SILERO_VAD), 512, 64, 16000, 1);
        short[] s = readWav(LIBRIVOX_0880);
        speech = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            speech[i] = s[i] / 32768f;
        }
    }

    @AfterAll
    static void close() throws Exception {
        vad.close();
    }

    private static List<Float> run(VadState st, float[] x, int piece) throws Exception {
        List<Float> probs = new ArrayList<>();
        for (int i = 0; i < x.length; i += piece) {
            long before = st.chunks;
            float p = vad.accept(st, x, i, Math.min(piece, x.length - i));
            if (st.chunks > before) {
                probs.add(p);
            }
        }
        return probs;
    }

    @Test
    void realSpeechIsLikelyAndSilenceAfterItIsNot() throws Exception {
        VadState st = new VadState();
        List<Float> speechProbs = run(st, speech, 640);
        assertThat(speechProbs.stream().mapToDouble(Float::doubleValue).max().orElse(0)).isGreaterThan(0.9);
        List<Float> silence = run(st, new float[16000], 640);
        assertThat(silence.get(silence.size() - 1)).isLessThan(0.1f);
    }

    @Test
    void tickSizeDoesNotChangeTheResultBecauseContextAndStateCarryOver() throws Exception {
        VadState a = new VadState();
        VadState b = new VadState();
        run(a, speech, 512);
        run(b, speech, 640);
        assertThat(b.chunks).isEqualTo(a.chunks);
        assertThat(b.lastProbability).isEqualTo(a.lastProbability);
        assertThat(b.state).containsExactly(a.state);
    }

    @Test
    void copiedStateResumesExactlyLikeAnUninterruptedStream() throws Exception {
        int half = 640 * 40;
        VadState whole = new VadState();
        List<Float> expected = run(whole, speech, 640);

        VadState first = new VadState();
        List<Float> got = new ArrayList<>(run(first, Arrays.copyOf(speech, half), 640));
        VadState resumed = new VadState();
        resumed.state = first.state.clone();
        resumed.context = first.context.clone();
        resumed.pending = first.pending.clone();
        resumed.pendingCount = first.pendingCount;
        resumed.chunks = first.chunks;
        got.addAll(run(resumed, Arrays.copyOfRange(speech, half, speech.length), 640));
        assertThat(got).containsExactlyElementsOf(expected);
    }
}
