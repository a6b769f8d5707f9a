package io.omnistream.connectors.edge;

/**
 * Decides which decoded frames of one video track are worth publishing: at most {@code maxFps} (camera ≤ 15,
 * screen ≤ 2), and for the screen only when the picture changed since the last published one. It runs on the
 * native decoder thread before any copy is made, so skipped frames cost nothing.
 */
final class VideoGate {
    private final long minIntervalNanos;
    private final boolean onlyOnChange;
    private final double changeThreshold;
    private long lastEmitNanos = Long.MIN_VALUE;
    private float[] lastThumb;

    VideoGate(double maxFps, boolean onlyOnChange, double changeThreshold) {
        this.minIntervalNanos = (long) (1e9 / maxFps);
        this.onlyOnChange = onlyOnChange;
        this.changeThreshold = changeThreshold;
    }

    /** Whether enough time passed since the last published frame. */
    synchronized boolean due(long nowNanos) {
        // a 2 ms tolerance keeps a 30 fps source from being cut to 10 fps by jitter around the 66.7 ms boundary
        return lastEmitNanos == Long.MIN_VALUE || nowNanos - lastEmitNanos >= minIntervalNanos - 2_000_000L;
    }

    /** Records a candidate; returns whether it is published (changed enough, for screen gates). */
    synchronized boolean accept(long nowNanos, float[] thumb) {
        if (onlyOnChange && lastThumb != null && thumb != null && maxAbsDiff(lastThumb, thumb) < changeThreshold) {
            return false;
        }
        lastEmitNanos = nowNanos;
        lastThumb = thumb;
        return true;
    }

    /** Largest change of one thumbnail cell: a changed error code in one corner counts, codec noise does not. */
    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.MAX_VALUE;
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
