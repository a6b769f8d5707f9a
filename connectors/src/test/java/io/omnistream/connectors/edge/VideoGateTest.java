package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VideoGateTest {
    private static final long MS = 1_000_000L;

    @Test
    void cameraGateKeepsAtMostFifteenFramesPerSecondOfAThirtyFpsSource() {
        VideoGate g = new VideoGate(15, false, 0);
        int kept = 0;
        for (int i = 0; i < 300; i++) { // 10 s at 30 fps
            long t = i * 33_333_333L;
            if (g.due(t) && g.accept(t, null)) {
                kept++;
            }
        }
        assertThat(kept).isBetween(140, 151);
    }

    @Test
    void screenGatePublishesOnlyChangedPicturesAtMostTwicePerSecond() {
        VideoGate g = new VideoGate(2, true, 3.0);
        float[] a = new float[64 * 36];
        float[] b = a.clone();
        b[100] = 60; // one cell changed: e.g. a new error code in a dialog
        float[] noisy = a.clone();
        noisy[7] = 1.5f; // codec noise
        assertThat(g.due(0) && g.accept(0, a)).isTrue();
        assertThat(g.due(100 * MS)).isFalse();
        assertThat(g.due(600 * MS) && g.accept(600 * MS, noisy)).isFalse();
        assertThat(g.due(700 * MS) && g.accept(700 * MS, b)).isTrue();
        assertThat(g.due(800 * MS)).isFalse();
    }
}
