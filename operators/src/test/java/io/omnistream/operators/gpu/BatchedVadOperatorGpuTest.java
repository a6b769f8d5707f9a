package io.omnistream.operators.gpu;

import static io.omnistream.operators.gpu.BatchedFrameHarness.feed;
import static io.omnistream.operators.gpu.BatchedFrameHarness.harness;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionTestData;
import io.omnistream.operators.route.RouteConfig;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchedVadOperator} on a GPU, inside Flink's operator harness: many sessions' frames, some routed off long
 * enough to be released and re-primed (slots freed and reused), a checkpoint taken with frames still waiting for their
 * batch and restored into a new operator (a new CUDA context, the sessions' state loaded from keyed state) — against
 * the same operator kept on its Java twin ({@link GpuBatchConfig#useGpu} false) on the same frames. Skipped where
 * there is no GPU (runs on the H200 from the operators' device bundle; the twin side is what CI tests everywhere).
 */
class BatchedVadOperatorGpuTest {
    private static final int TICK = 640;
    private static final int SESSIONS = 40;
    private static final int TICKS = 160;
    /** CUDA vs twin (gpu-kernels' SileroVadGpuTest tolerance). */
    private static final double TOLERANCE = 1e-4;

    private final List<short[]> audio = new ArrayList<>();

    @BeforeEach
    void gpu() throws Exception {
        // -Domni.gpu.tests.onHost=true runs both sides on the twin where there is no GPU: only to list the classes the
        // device bundle needs (load-tests/gpu/operators-bundle.sh), it proves nothing about the GPU
        Assumptions.assumeTrue(GpuRuntime.available() && EncoderModule.present() || Boolean.getBoolean("omni.gpu.tests.onHost"),
                () -> "no GPU: " + GpuRuntime.unavailableReason());
        for (String f : List.of("librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
                "librivox/sense_and_sensibility_01_austen_64kb-0930.wav", "cards/001.wav", "cards/003.wav", "cards/005.wav")) {
            audio.add(PerceptionTestData.readWav(PerceptionTestData.POCKETSPHINX.resolve(f)));
        }
    }

    @Test
    void onTheGpuTheOperatorGivesItsTwinsProbabilitiesThroughReleasesAndARestore() throws Exception {
        RouteConfig routing = RouteConfig.defaults();
        routing.vadReleaseAfterMicros = 1_000_000;
        List<PerceptionFrame> frames = frames();
        int cut = frames.size() / 2 + 3;
        Run gpu = run(routing, true, frames, cut);
        Run twin = run(routing, false, frames, cut);
        assertThat(gpu.onGpu).as("encoder on the GPU").isEqualTo(GpuRuntime.available() && EncoderModule.present());
        assertThat(twin.onGpu).isFalse();
        assertThat(gpu.released).isEqualTo(twin.released).isGreaterThan(0);
        assertThat(gpu.probabilities).hasSameSizeAs(twin.probabilities).hasSize(frames.size());
        double worst = 0;
        int decisions = 0;
        int speech = 0;
        for (int i = 0; i < frames.size(); i++) {
            float g = gpu.probabilities.get(i);
            float t = twin.probabilities.get(i);
            if (t < 0) {
                assertThat(g).as("frame %d routed off on both", i).isEqualTo(t);
                continue;
            }
            worst = Math.max(worst, Math.abs(g - t));
            assertThat((double) g).as("frame %d", i).isCloseTo(t, org.assertj.core.data.Offset.offset(TOLERANCE));
            if (Math.abs(t - 0.5) > TOLERANCE) {
                assertThat(g >= 0.5f).as("frame %d decision", i).isEqualTo(t >= 0.5f);
                decisions++;
                speech += t >= 0.5f ? 1 : 0;
            }
        }
        assertThat(speech).as("the recordings hold speech").isGreaterThan(200);
        System.out.printf("BatchedVadOperator on %s vs its twin: %d sessions x %d ticks, a restore, %d released;"
                + " max |dp| %.3e, %d decisions equal (%d speech)%n", GpuRuntime.device(), SESSIONS, TICKS, gpu.released, worst,
                decisions, speech);
    }

    private record Run(boolean onGpu, long released, List<Float> probabilities) {}

    /** The frames through one operator up to {@code cut}, a checkpoint, then a new operator restored from it. */
    private static Run run(RouteConfig routing, boolean useGpu, List<PerceptionFrame> frames, int cut) throws Exception {
        GpuBatchConfig batch = GpuBatchConfig.defaults().withMaxWait(Duration.ofMillis(2)).withMaxBatchSize(4096).withUseGpu(useGpu);
        List<Float> p = new ArrayList<>();
        OperatorSubtaskState snapshot;
        boolean onGpu;
        long released;
        BatchedVadOperator first = new BatchedVadOperator(PerceptionConfig.defaults(), routing, batch);
        try (var h = harness(first)) {
            h.setProcessingTime(0);
            h.open();
            onGpu = first.onGpu();
            feed(h, copies(frames.subList(0, cut - 7)), 33);
            for (PerceptionFrame f : copies(frames.subList(cut - 7, cut))) {
                h.processElement(f, f.getTickEndMicros() / 1000); // waiting for their batch at the barrier
            }
            h.prepareSnapshotPreBarrier(1);
            snapshot = h.snapshot(1, h.getProcessingTime());
            assertThat(first.residentSessions()).isGreaterThan(0);
            released = first.releasedCount();
            h.extractOutputValues().forEach(f -> p.add(f.getVadProbability()));
        }
        BatchedVadOperator second = new BatchedVadOperator(PerceptionConfig.defaults(), routing, batch);
        try (var h = harness(second)) {
            h.setProcessingTime(0);
            h.initializeState(snapshot);
            h.open();
            feed(h, copies(frames.subList(cut, frames.size())), 33);
            released += second.releasedCount();
            h.extractOutputValues().forEach(f -> p.add(f.getVadProbability()));
        }
        return new Run(onGpu, released, p);
    }

    /** Operators set the VAD field on the records they get: each run gets its own. */
    private static List<PerceptionFrame> copies(List<PerceptionFrame> frames) {
        return frames.stream().map(f -> PerceptionFrame.newBuilder(f).build()).toList();
    }

    /**
     * Every session a recording (five, cycled) starting at its own offset, tick by tick interleaved; every fourth
     * session routed off for 1.6 s in the middle (released after 1 s, re-primed after), every seventh for 0.2 s.
     */
    private List<PerceptionFrame> frames() {
        RouteDecision off = RouteDecision.newBuilder().setVad(false).build();
        List<PerceptionFrame> out = new ArrayList<>();
        for (int t = 0; t < TICKS; t++) {
            for (int s = 0; s < SESSIONS; s++) {
                short[] a = audio.get(s % audio.size());
                int from = (s * 3 * TICK + t * TICK) % Math.max(TICK, a.length - TICK);
                boolean routedOff = (s % 4 == 0 && t >= 50 && t < 90) || (s % 7 == 3 && t >= 100 && t < 105);
                long start = t * 40_000L;
                out.add(PerceptionFrame.newBuilder()
                        .setSessionId("s" + s)
                        .setTickIndex(t)
                        .setTickStartMicros(start)
                        .setTickEndMicros(start + 40_000L)
                        .setAudio(ByteBuffer.wrap(Pcm16.toBytes(a, from, TICK)))
                        .setRoute(routedOff ? off : null)
                        .build());
            }
        }
        return out;
    }
}
