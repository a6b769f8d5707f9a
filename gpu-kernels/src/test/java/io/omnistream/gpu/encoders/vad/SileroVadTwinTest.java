package io.omnistream.gpu.encoders.vad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.onnx.OnnxModel;
import io.omnistream.gpu.testutils.Recordings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Silero VAD twin's batching and per-session state, on real recordings; ONNX Runtime agreement is in SileroVadOracleTest. */
class SileroVadTwinTest {
    private static SileroVadWeights weights;

    @BeforeAll
    static void load() throws IOException {
        weights = SileroVadWeights.load(EncoderModels.require(EncoderModels.SILERO_VAD));
    }

    @Test
    void aBatchOfSessionsGivesExactlyWhatEachSessionGivesAlone() throws IOException {
        List<String> files = List.of(Recordings.FILES.get(0), Recordings.FILES.get(4), "cards/001.wav", "cards/003.wav", "cards/005.wav");
        float[][] audio = new float[files.size()][];
        for (int s = 0; s < audio.length; s++) {
            audio[s] = Recordings.load(files.get(s));
        }
        VadStreams.State[] together = fresh(audio.length);
        float[][] batched = new VadStreams(new SileroVadTwin(weights)).process(together, audio);
        for (int s = 0; s < audio.length; s++) {
            VadStreams.State[] alone = fresh(1);
            float[][] single = new VadStreams(new SileroVadTwin(weights)).process(alone, new float[][] {audio[s]});
            assertThat(batched[s]).as(files.get(s)).hasSize(audio[s].length / SileroVadEncoder.CHUNK).containsExactly(single[0]);
            assertThat(together[s].hc).containsExactly(alone[0].hc);
            assertThat(together[s].pendingCount).isEqualTo(audio[s].length % SileroVadEncoder.CHUNK);
        }
    }

    @Test
    void aSessionRestoredFromItsSerializedStateContinuesExactly() throws Exception {
        float[] audio = Recordings.load(Recordings.FILES.get(1));
        VadStreams vad = new VadStreams(new SileroVadTwin(weights));
        VadStreams.State whole = new VadStreams.State();
        float[] expected = vad.process(new VadStreams.State[] {whole}, new float[][] {audio})[0];

        // 20 ms pieces as the pipeline delivers them; a checkpoint round trip in the middle of a chunk.
        int piece = 320;
        int cut = 97 * piece;
        VadStreams.State st = new VadStreams.State();
        float[] got = new float[expected.length];
        int n = 0;
        for (int at = 0; at < audio.length; at += piece) {
            if (at == cut) {
                assertThat(st.pendingCount).isNotZero();
                st = roundTrip(st);
                vad = new VadStreams(new SileroVadTwin(weights));
            }
            float[] p = vad.process(new VadStreams.State[] {st}, new float[][] {Arrays.copyOfRange(audio, at, Math.min(audio.length, at + piece))})[0];
            System.arraycopy(p, 0, got, n, p.length);
            n += p.length;
        }
        assertThat(n).isEqualTo(expected.length);
        assertThat(got).containsExactly(expected);
        assertThat(st.hc).containsExactly(whole.hc);
        assertThat(st.chunks).isEqualTo(expected.length);
    }

    @Test
    void nonFiniteSamplesResetOnlyTheirSession() throws IOException {
        float[] a = Recordings.load("cards/002.wav");
        float[] b = Recordings.load("cards/004.wav");
        float[] broken = a.clone();
        broken[3 * SileroVadEncoder.CHUNK + 10] = Float.NaN;
        VadStreams vad = new VadStreams(new SileroVadTwin(weights));
        VadStreams.State[] st = fresh(2);
        float[][] p = vad.process(st, new float[][] {broken, b});
        float[] bAlone = new VadStreams(new SileroVadTwin(weights)).process(fresh(1), new float[][] {b})[0];
        assertThat(p[1]).containsExactly(bAlone);
        assertThat(p[0][3]).isZero();
        // After the reset the broken session is a fresh session fed the rest of the audio.
        float[] rest = Arrays.copyOfRange(a, 4 * SileroVadEncoder.CHUNK, a.length);
        float[] restAlone = new VadStreams(new SileroVadTwin(weights)).process(fresh(1), new float[][] {rest})[0];
        assertThat(Arrays.copyOfRange(p[0], 4, p[0].length)).containsExactly(restAlone);
        for (float v : p[0]) {
            assertThat(v).isBetween(0f, 1f);
        }
        assertThat(vad.nonFiniteChunks()).isEqualTo(1);
    }

    @Test
    void residentSlotsGiveExactlyWhatTheCopyingPathGivesAcrossSaveLoadAndPoisonedChunks() throws IOException {
        float[][] audio = {Recordings.load("cards/001.wav"), Recordings.load("cards/002.wav"), Recordings.load("cards/004.wav")};
        audio[1][5 * SileroVadEncoder.CHUNK + 3] = Float.POSITIVE_INFINITY;
        VadStreams copying = new VadStreams(new SileroVadTwin(weights));
        VadStreams resident = new VadStreams(new SileroVadTwin(weights));
        assertThat(resident.resident()).isTrue();
        VadStreams.State[] a = fresh(3);
        VadStreams.State[] b = fresh(3);
        int[] slots = {7, 0, 3}; // sparse and out of order: only the mapping matters
        resident.load(slots, b);
        int piece = 640; // 40 ms ticks, so chunks straddle calls
        for (int at = 0, tick = 0; at < 16_000 * 3; at += piece, tick++) {
            float[][] in = new float[3][];
            for (int s = 0; s < 3; s++) {
                in[s] = Arrays.copyOfRange(audio[s], Math.min(at, audio[s].length), Math.min(at + piece, audio[s].length));
            }
            float[][] pa = copying.process(a, in);
            float[][] pb = resident.processResident(slots, b, in);
            for (int s = 0; s < 3; s++) {
                assertThat(pb[s]).as("tick %d session %d", tick, s).containsExactly(pa[s]);
            }
            if (tick == 31) {
                // a checkpoint: the slots' state goes into the POJOs, which a new encoder (after a restore) loads
                resident.save(slots, b);
                for (int s = 0; s < 3; s++) {
                    assertThat(b[s].hc).containsExactly(a[s].hc);
                    assertThat(b[s].context).containsExactly(a[s].context);
                }
                resident = new VadStreams(new SileroVadTwin(weights));
                slots = new int[] {1, 2, 0};
                resident.load(slots, b);
            }
        }
        resident.save(slots, b);
        for (int s = 0; s < 3; s++) {
            assertThat(b[s].hc).containsExactly(a[s].hc);
            assertThat(b[s].chunks).isEqualTo(a[s].chunks);
        }
        assertThat(resident.nonFiniteChunks()).isZero(); // the poisoned chunk came before the restore
        assertThat(copying.nonFiniteChunks()).isEqualTo(1);
        SileroVadTwin twin = new SileroVadTwin(weights);
        twin.reserveSessions(2);
        assertThatThrownBy(() -> twin.stepResident(new int[] {1, 1}, 2, new float[2])).hasMessageContaining("twice");
        assertThatThrownBy(() -> twin.stepResident(new int[] {0, 2}, 2, new float[2])).hasMessageContaining("outside");
        assertThatThrownBy(() -> new VadStreams(twin).save(new int[] {0}, fresh(2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void speechIsTellApartFromTheSilenceBeforeIt() throws IOException {
        float[] audio = Recordings.load(Recordings.FILES.get(0));
        float[] p = new VadStreams(new SileroVadTwin(weights)).process(fresh(1), new float[][] {audio})[0];
        long speech = 0;
        for (float v : p) {
            speech += v > 0.5f ? 1 : 0;
        }
        assertThat(p[0]).isLessThan(0.5f);
        assertThat(speech).isBetween(p.length / 3L, (long) p.length);
    }

    @Test
    void wrongSizesAndOtherModelsAreRefused() throws IOException {
        SileroVadTwin twin = new SileroVadTwin(weights);
        assertThatThrownBy(() -> twin.step(new float[SileroVadEncoder.WINDOW], new float[SileroVadEncoder.STATE], new float[2], 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("windows");
        assertThatThrownBy(() -> twin.step(new float[SileroVadEncoder.WINDOW], new float[10], new float[1], 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("state");
        twin.step(new float[0], new float[0], new float[0], 0);
        OnnxModel face = OnnxModel.read(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        assertThatThrownBy(() -> SileroVadWeights.load(face)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not Silero VAD v5");
        assertThatThrownBy(() -> new VadStreams(twin).process(fresh(2), new float[1][]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static VadStreams.State[] fresh(int n) {
        VadStreams.State[] s = new VadStreams.State[n];
        for (int i = 0; i < n; i++) {
            s[i] = new VadStreams.State();
        }
        return s;
    }

    private static VadStreams.State roundTrip(VadStreams.State s) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (VadStreams.State) in.readObject();
        }
    }
}
