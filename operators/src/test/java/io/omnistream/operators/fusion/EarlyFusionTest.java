package io.omnistream.operators.fusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.perception.PerceptionConfig;
import org.junit.jupiter.api.Test;

class EarlyFusionTest {
    private static final long TICK = 40_000;
    private final PerceptionConfig config = PerceptionConfig.defaults();
    private final EarlyFusion fusion = new EarlyFusion(config);

    /** A syllable-like envelope: on for 3 ticks, off for 2, with varying loudness. */
    private static double envelope(int t) {
        return (t % 5) < 3 ? 0.5 + 0.5 * Math.sin(t * 0.7) * Math.sin(t * 0.7) : 0;
    }

    private FusedFrame tick(FusionState st, int t, float energyDb, float audioP, boolean face, boolean newPicture, float motion, float open) {
        FusedFrame f = new FusedFrame();
        f.tickStartMicros = t * TICK;
        f.tickEndMicros = (t + 1) * TICK;
        f.energyDb = energyDb;
        f.audioProbability = audioP;
        fusion.fuse(st, f, face, newPicture, motion, open);
        return f;
    }

    @Test
    void lipsMovingWithTheSpeechGiveHighCorrelationAndTheirLagAsOffset() {
        FusionState st = new FusionState();
        int lagTicks = 2; // the video shows the mouth 80 ms after the sound
        FusedFrame last = null;
        for (int t = 0; t < 100; t++) {
            double a = envelope(t);
            double v = t >= lagTicks ? envelope(t - lagTicks) : 0;
            float prevOpen = t >= lagTicks + 1 ? (float) (0.1 + 0.5 * envelope(t - lagTicks - 1)) : 0.1f;
            float open = (float) (0.1 + 0.5 * v);
            last = tick(st, t, a > 0 ? (float) (-40 + 20 * a) : -90f, a > 0 ? 0.95f : 0.02f, true, true, 60 * Math.abs(open - prevOpen), open);
        }
        assertThat(last.avCorrelation).isGreaterThan(0.8f);
        assertThat(last.avLagMicros).isEqualTo(lagTicks * TICK);
        assertThat(last.correlationCoverage).isGreaterThan(0.9f);
    }

    @Test
    void speechWhileTheVisibleFaceStaysStillIsBackgroundSpeech() {
        FusionState st = new FusionState();
        FusedFrame f = null;
        for (int t = 0; t < 60; t++) {
            double a = envelope(t);
            f = tick(st, t, a > 0 ? -30f : -90f, 0.95f, true, true, 0.2f, 0.12f);
        }
        assertThat(f.backgroundSpeech).isTrue();
        assertThat(f.speakingProbability).isLessThan(config.stopThreshold);
        assertThat(f.lipsClosed).isTrue();
    }

    @Test
    void customerSpeakingWithMovingLipsIsLikelyAndNotBackground() {
        FusionState st = new FusionState();
        FusedFrame f = null;
        for (int t = 0; t < 60; t++) {
            f = tick(st, t, -30f, 0.95f, true, true, t % 2 == 0 ? 12f : 8f, t % 2 == 0 ? 0.5f : 0.2f);
            // closed for an instant while moving (like a bilabial) is still speaking
            assertThat(f.speakingProbability).as("tick %d", t).isGreaterThan(config.startThreshold);
            assertThat(f.backgroundSpeech).isFalse();
        }
        assertThat(f.lipsClosed).as("closed for an instant").isTrue();
        f = tick(st, 60, -30f, 0.95f, true, true, 12f, 0.5f);
        assertThat(f.lipsClosed).isFalse();
    }

    @Test
    void withoutAFaceTheSpeakingProbabilityIsTheAudioOne() {
        FusionState st = new FusionState();
        FusedFrame f = tick(st, 0, -30f, 0.87f, false, false, 0, 0);
        assertThat(f.speakingProbability).isEqualTo(0.87f);
        assertThat(f.backgroundSpeech).isFalse();
        assertThat(f.faceUsable).isFalse();
        assertThat(f.avCorrelation).isZero();
    }
}
