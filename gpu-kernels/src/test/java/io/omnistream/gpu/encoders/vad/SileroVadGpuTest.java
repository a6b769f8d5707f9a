package io.omnistream.gpu.encoders.vad;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.Recordings;
import io.omnistream.gpu.testutils.Signals;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA Silero VAD against the twin. Tolerance 1e-4 on probabilities and states (single steps on random windows and
 * states, and over 30 chunks of recurrence)
 * (cuBLAS and the twin sum in different orders, both fp32); decisions at 0.5 identical wherever the twin is more
 * than the tolerance away from 0.5.
 */
class SileroVadGpuTest {
    static final double TOLERANCE = 1e-4;
    private SileroVadWeights weights;

    @BeforeEach
    void gpu() throws IOException {
        assumeGpu();
        Assumptions.assumeTrue(EncoderModule.present(), "encoder kernels not built");
        weights = SileroVadWeights.load(EncoderModels.require(EncoderModels.SILERO_VAD));
    }

    @Test
    void manyStreamedSessionsGiveTheTwinsProbabilities() throws IOException {
        int n = 192;
        int chunks = 30;
        float[][] audio = new float[n][];
        boolean real = Recordings.present();
        for (int s = 0; s < n; s++) {
            int len = chunks * SileroVadEncoder.CHUNK + 17 * s % 500;
            if (real && s % 2 == 0) {
                float[] r = Recordings.load(Recordings.FILES.get(s / 2 % Recordings.FILES.size()));
                int from = (s * 1601) % Math.max(1, r.length - len);
                audio[s] = Arrays.copyOfRange(r, from, from + Math.min(len, r.length - from));
            } else {
                audio[s] = Signals.voiceLike(len, s);
                Arrays.fill(audio[s], 0, Math.min(len, 2000 + 97 * s), 0f);
            }
        }
        VadStreams.State[] gpuStates = SileroVadTwinTest.fresh(n);
        VadStreams.State[] twinStates = SileroVadTwinTest.fresh(n);
        float[][] gpu = new float[n][0];
        float[][] twin = new float[n][0];
        try (SileroVadCuda cuda = new SileroVadCuda(GpuRuntime.newContext(), weights)) {
            VadStreams g = new VadStreams(cuda);
            VadStreams t = new VadStreams(new SileroVadTwin(weights));
            int piece = 320;
            for (int at = 0; at < chunks * SileroVadEncoder.CHUNK + 500; at += piece) {
                float[][] pieces = new float[n][];
                for (int s = 0; s < n; s++) {
                    pieces[s] = Arrays.copyOfRange(audio[s], Math.min(at, audio[s].length), Math.min(at + piece, audio[s].length));
                }
                append(gpu, g.process(gpuStates, pieces));
                append(twin, t.process(twinStates, pieces));
            }
        }
        double worst = 0;
        double worstState = 0;
        int decisions = 0;
        for (int s = 0; s < n; s++) {
            assertThat(gpu[s]).hasSameSizeAs(twin[s]);
            for (int c = 0; c < twin[s].length; c++) {
                double d = Math.abs(gpu[s][c] - twin[s][c]);
                worst = Math.max(worst, d);
                assertThat(d).as("session %d chunk %d", s, c).isLessThanOrEqualTo(TOLERANCE);
                if (Math.abs(twin[s][c] - 0.5) > TOLERANCE) {
                    assertThat(gpu[s][c] > 0.5f).isEqualTo(twin[s][c] > 0.5f);
                    decisions++;
                }
            }
            for (int k = 0; k < SileroVadEncoder.STATE; k++) {
                worstState = Math.max(worstState, Math.abs(gpuStates[s].hc[k] - twinStates[s].hc[k]));
            }
        }
        assertThat(worstState).isLessThanOrEqualTo(TOLERANCE);
        System.out.printf("Silero VAD GPU vs twin on %s: %d sessions (real recordings: %s), %d decisions, max |dp| %.3e, max |d state| %.3e%n",
                GpuRuntime.device(), n, real, decisions, worst, worstState);
    }

    @Test
    void batchesOfEverySizeMatchTheTwinStepByStep() {
        SplittableRandom r = new SplittableRandom(5);
        try (SileroVadCuda cuda = new SileroVadCuda(GpuRuntime.newContext(), weights)) {
            SileroVadTwin twin = new SileroVadTwin(weights);
            double worst = 0;
            for (int n : new int[] {0, 1, 7, 1000, 33}) {
                float[] windows = new float[n * SileroVadEncoder.WINDOW];
                for (int i = 0; i < windows.length; i++) {
                    windows[i] = (float) (r.nextDouble(-1, 1) * (i % 3 == 0 ? 0.05 : 0.5));
                }
                float[] state = new float[n * SileroVadEncoder.STATE];
                for (int i = 0; i < state.length; i++) {
                    state[i] = (float) r.nextDouble(-0.5, 0.5);
                }
                float[] sg = state.clone();
                float[] pg = new float[n];
                float[] pt = new float[n];
                cuda.step(windows, sg, pg, n);
                twin.step(windows, state, pt, n);
                for (int i = 0; i < n; i++) {
                    worst = Math.max(worst, Math.abs(pg[i] - pt[i]));
                    assertThat((double) Math.abs(pg[i] - pt[i])).as("n=%d row %d", n, i).isLessThanOrEqualTo(TOLERANCE);
                }
                for (int i = 0; i < state.length; i++) {
                    worst = Math.max(worst, Math.abs(sg[i] - state[i]));
                    assertThat((double) Math.abs(sg[i] - state[i])).as("n=%d state %d", n, i).isLessThanOrEqualTo(TOLERANCE);
                }
            }
            System.out.printf("Silero VAD GPU vs twin, single steps of 0/1/7/1000/33 random sessions: max |diff| %.3e%n", worst);
        }
    }

    @Test
    void residentSessionsFollowTheTwinAndTheirStateMovesOutAndBackExactly() {
        int sessions = 300;
        int steps = 24;
        SplittableRandom r = new SplittableRandom(11);
        // sessions scattered over the slots, a different subset stepping each time
        int[] slotOf = new int[sessions];
        for (int s = 0; s < sessions; s++) {
            slotOf[s] = (s * 7 + 3) % 1000;
        }
        float[][] hc = new float[sessions][SileroVadEncoder.STATE];
        float[][] ctx = new float[sessions][SileroVadEncoder.CONTEXT];
        double worst = 0;
        try (SileroVadCuda cuda = new SileroVadCuda(GpuRuntime.newContext(), weights)) {
            SileroVadTwin twin = new SileroVadTwin(weights);
            cuda.reserveSessions(500);
            for (int step = 0; step < steps; step++) {
                if (step == 8) {
                    // growing keeps every session where it was
                    float[] before = new float[sessions * SileroVadEncoder.STATE];
                    float[] beforeCtx = new float[sessions * SileroVadEncoder.CONTEXT];
                    int[] live = Arrays.stream(slotOf).filter(x -> x < 500).toArray();
                    cuda.readSessions(live, live.length, before, beforeCtx);
                    cuda.reserveSessions(1000);
                    float[] after = new float[before.length];
                    float[] afterCtx = new float[beforeCtx.length];
                    cuda.readSessions(live, live.length, after, afterCtx);
                    assertThat(after).containsExactly(before);
                    assertThat(afterCtx).containsExactly(beforeCtx);
                }
                if (step == 16) {
                    // a checkpoint's state (the twin's) restored into the slots: from here both run from equal state
                    int[] all = Arrays.copyOf(slotOf, sessions);
                    float[] h = new float[sessions * SileroVadEncoder.STATE];
                    float[] c = new float[sessions * SileroVadEncoder.CONTEXT];
                    for (int s = 0; s < sessions; s++) {
                        System.arraycopy(hc[s], 0, h, s * SileroVadEncoder.STATE, SileroVadEncoder.STATE);
                        System.arraycopy(ctx[s], 0, c, s * SileroVadEncoder.CONTEXT, SileroVadEncoder.CONTEXT);
                    }
                    cuda.writeSessions(all, sessions, h, c);
                    float[] h2 = new float[h.length];
                    float[] c2 = new float[c.length];
                    cuda.readSessions(all, sessions, h2, c2);
                    assertThat(h2).containsExactly(h);
                    assertThat(c2).containsExactly(c);
                }
                int cap = step < 8 ? 500 : 1000;
                int[] rows = new int[sessions];
                int n = 0;
                for (int s = 0; s < sessions; s++) {
                    if (slotOf[s] < cap && (step % 5 != s % 5)) {
                        rows[n++] = s;
                    }
                }
                float[] windows = new float[n * SileroVadEncoder.WINDOW];
                float[] state = new float[n * SileroVadEncoder.STATE];
                int[] slots = new int[n];
                java.nio.FloatBuffer in = cuda.chunkInput(n);
                for (int i = 0; i < n; i++) {
                    int s = rows[i];
                    slots[i] = slotOf[s];
                    float[] chunk = new float[SileroVadEncoder.CHUNK];
                    for (int k = 0; k < chunk.length; k++) {
                        chunk[k] = (float) (Math.sin((step * 512 + k) * (0.01 + s * 1e-4)) * 0.4 + r.nextDouble(-0.05, 0.05));
                    }
                    in.put(chunk);
                    System.arraycopy(ctx[s], 0, windows, i * SileroVadEncoder.WINDOW, SileroVadEncoder.CONTEXT);
                    System.arraycopy(chunk, 0, windows, i * SileroVadEncoder.WINDOW + SileroVadEncoder.CONTEXT, SileroVadEncoder.CHUNK);
                    System.arraycopy(hc[s], 0, state, i * SileroVadEncoder.STATE, SileroVadEncoder.STATE);
                    System.arraycopy(chunk, SileroVadEncoder.CHUNK - SileroVadEncoder.CONTEXT, ctx[s], 0, SileroVadEncoder.CONTEXT);
                }
                float[] pg = new float[n];
                float[] pt = new float[n];
                cuda.stepResident(slots, n, pg);
                twin.step(windows, state, pt, n);
                float[] gh = new float[n * SileroVadEncoder.STATE];
                float[] gc = new float[n * SileroVadEncoder.CONTEXT];
                cuda.readSessions(slots, n, gh, gc);
                for (int i = 0; i < n; i++) {
                    int s = rows[i];
                    double d = Math.abs(pg[i] - pt[i]);
                    worst = Math.max(worst, d);
                    assertThat(d).as("step %d session %d", step, s).isLessThanOrEqualTo(TOLERANCE);
                    System.arraycopy(state, i * SileroVadEncoder.STATE, hc[s], 0, SileroVadEncoder.STATE);
                    for (int k = 0; k < SileroVadEncoder.STATE; k++) {
                        assertThat((double) Math.abs(gh[i * SileroVadEncoder.STATE + k] - hc[s][k])).isLessThanOrEqualTo(TOLERANCE);
                    }
                    assertThat(Arrays.copyOfRange(gc, i * SileroVadEncoder.CONTEXT, (i + 1) * SileroVadEncoder.CONTEXT))
                            .as("context of session %d", s).containsExactly(ctx[s]);
                }
            }
            // the resident path runs the same kernels on the same numbers as step(): bit-equal results
            int n = 64;
            int[] slots = new int[n];
            float[] windows = new float[n * SileroVadEncoder.WINDOW];
            float[] state = new float[n * SileroVadEncoder.STATE];
            float[] h = new float[n * SileroVadEncoder.STATE];
            float[] c = new float[n * SileroVadEncoder.CONTEXT];
            java.nio.FloatBuffer in = cuda.chunkInput(n);
            for (int i = 0; i < n; i++) {
                slots[i] = 999 - i;
                for (int k = 0; k < SileroVadEncoder.WINDOW; k++) {
                    windows[i * SileroVadEncoder.WINDOW + k] = (float) r.nextDouble(-0.5, 0.5);
                }
                for (int k = 0; k < SileroVadEncoder.STATE; k++) {
                    state[i * SileroVadEncoder.STATE + k] = (float) r.nextDouble(-0.5, 0.5);
                }
                System.arraycopy(windows, i * SileroVadEncoder.WINDOW, c, i * SileroVadEncoder.CONTEXT, SileroVadEncoder.CONTEXT);
                in.put(windows, i * SileroVadEncoder.WINDOW + SileroVadEncoder.CONTEXT, SileroVadEncoder.CHUNK);
            }
            System.arraycopy(state, 0, h, 0, h.length);
            cuda.writeSessions(slots, n, h, c);
            float[] pr = new float[n];
            cuda.stepResident(slots, n, pr);
            float[] ps = new float[n];
            cuda.step(windows, state, ps, n);
            cuda.readSessions(slots, n, h, c);
            assertThat(pr).containsExactly(ps);
            assertThat(h).containsExactly(state);
        }
        System.out.printf("Silero VAD GPU resident sessions vs twin, %d sessions x %d steps: max |dp| %.3e%n", sessions, steps, worst);
    }

    /**
     * What {@code BatchedVadOperator} does on a GPU: sessions streamed in 40 ms ticks through
     * {@link VadStreams#processResident}, a checkpoint ({@link VadStreams#save}) and a restore into a new CUDA context
     * with other slots ({@link VadStreams#load}) half way, one session poisoned by a NaN — against the twin's copying
     * path on the same ticks.
     */
    @Test
    void streamedResidentSessionsFollowTheTwinAcrossACheckpointIntoANewContext() throws IOException {
        int n = 64;
        float[][] audio = new float[n][];
        boolean real = Recordings.present();
        for (int s = 0; s < n; s++) {
            audio[s] = real && s % 2 == 0 ? Recordings.load(Recordings.FILES.get(s / 2 % Recordings.FILES.size()))
                    : Signals.voiceLike(16_000 * 4, s);
        }
        audio[5] = audio[5].clone();
        audio[5][9 * SileroVadEncoder.CHUNK + 1] = Float.NaN;
        VadStreams.State[] twinStates = SileroVadTwinTest.fresh(n);
        VadStreams.State[] gpuStates = SileroVadTwinTest.fresh(n);
        VadStreams t = new VadStreams(new SileroVadTwin(weights));
        int[] slots = new int[n];
        for (int s = 0; s < n; s++) {
            slots[s] = (s * 5 + 2) % n;
        }
        int piece = 640;
        int ticks = 16_000 * 4 / piece;
        double worst = 0;
        long decisions = 0;
        long poisoned = 0;
        SileroVadCuda cuda = new SileroVadCuda(GpuRuntime.newContext(), weights);
        try {
            VadStreams g = new VadStreams(cuda);
            g.load(slots, gpuStates);
            for (int tick = 0; tick < ticks; tick++) {
                if (tick == ticks / 2) {
                    g.save(slots, gpuStates);
                    poisoned += g.nonFiniteChunks();
                    cuda.close();
                    cuda = null;
                    cuda = new SileroVadCuda(GpuRuntime.newContext(), weights);
                    g = new VadStreams(cuda);
                    for (int s = 0; s < n; s++) {
                        slots[s] = n - 1 - s;
                    }
                    g.load(slots, gpuStates);
                }
                float[][] in = new float[n][];
                for (int s = 0; s < n; s++) {
                    int from = Math.min(tick * piece, audio[s].length);
                    in[s] = Arrays.copyOfRange(audio[s], from, Math.min(from + piece, audio[s].length));
                }
                float[][] pt = t.process(twinStates, in);
                float[][] pg = g.processResident(slots, gpuStates, in);
                for (int s = 0; s < n; s++) {
                    assertThat(pg[s]).hasSameSizeAs(pt[s]);
                    for (int k = 0; k < pt[s].length; k++) {
                        double d = Math.abs(pg[s][k] - pt[s][k]);
                        worst = Math.max(worst, d);
                        assertThat(d).as("tick %d session %d", tick, s).isLessThanOrEqualTo(TOLERANCE);
                        if (Math.abs(pt[s][k] - 0.5) > TOLERANCE) {
                            assertThat(pg[s][k] >= 0.5f).isEqualTo(pt[s][k] >= 0.5f);
                            decisions++;
                        }
                    }
                }
            }
            assertThat(poisoned + g.nonFiniteChunks()).isEqualTo(1).isEqualTo(t.nonFiniteChunks());
        } finally {
            if (cuda != null) {
                cuda.close();
            }
        }
        System.out.printf("Silero VAD GPU resident streams vs twin, %d sessions x %d ticks with a restore: max |dp| %.3e, %d decisions equal%n",
                n, ticks, worst, decisions);
    }

    @Test
    void residentCallsRefuseSlotsOutsideTheReservationOrTwiceInOneStep() {
        try (SileroVadCuda cuda = new SileroVadCuda(GpuRuntime.newContext(), weights)) {
            cuda.reserveSessions(4);
            cuda.chunkInput(2);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> cuda.stepResident(new int[] {1, 1}, 2, new float[2]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> cuda.stepResident(new int[] {0, 4}, 2, new float[2]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
            float[] p = new float[2];
            cuda.stepResident(new int[] {1, 0}, 2, p); // still usable after refusals
            assertThat(p[0]).isBetween(0f, 1f);
        }
    }

    private static void append(float[][] acc, float[][] more) {
        for (int s = 0; s < acc.length; s++) {
            float[] j = Arrays.copyOf(acc[s], acc[s].length + more[s].length);
            System.arraycopy(more[s], 0, j, acc[s].length, more[s].length);
            acc[s] = j;
        }
    }
}
