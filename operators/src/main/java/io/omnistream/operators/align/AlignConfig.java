package io.omnistream.operators.align;

import java.io.Serializable;
import java.time.Duration;

/**
 * Every tunable of the alignment stage in one place, with defaults that run the embedded mode.
 *
 * <p>Ticks are laid on a grid of whole ticks since the epoch of the session's media clock (which the edge starts at the
 * wall clock, rounded to a whole second), so 20 ms audio chunks fall on tick boundaries and the grid does not depend on
 * which chunk arrives first.
 */
public final class AlignConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Length of one aligned tick; 40 ms by default, 80 ms matches Qwen3-Omni's token rate. */
    public Duration tick = Duration.ofMillis(40);
    /**
     * Live fast path (default): emit a tick as soon as its audio is complete, or once the session's own audio has
     * moved past the tick end by {@link #outOfOrderness} (a gap), without waiting for the job-wide watermark, which
     * then only flushes sessions whose audio stopped. A picture still in flight when its tick's audio completed goes
     * to the next frame. False: pure event time, every tick waits for the watermark of all media streams; frames are
     * then exactly reproducible (replays, tests) but wait for the slowest stream.
     */
    public boolean emitWhenAudioComplete = true;
    /**
     * On the fast path, how far the job-wide watermark must be past a tick's end before it flushes the tick of a
     * session whose own audio has not completed it. The watermark runs with the fastest sessions, so flushing at
     * the tick end would cut a session whose chunks merely lag the others by more than the out-of-orderness
     * bound (network jitter, a busy partition) into holes and late chunks; only a session that stalled for this
     * long gets holes.
     */
    public Duration stalledSessionFlush = Duration.ofMillis(500);
    /** Bounded out-of-orderness of the media sources' watermarks, and of a session's own audio on the fast path. */
    public Duration outOfOrderness = Duration.ofMillis(40);
    /** A source partition without data for this long stops holding back the watermark. */
    public Duration idleness = Duration.ofSeconds(1);
    /** Audio sample rate of {@code MediaChunk} audio (PCM16 mono). */
    public int sampleRate = 16_000;
    /** A camera picture older than this at the tick end is reported STALE. */
    public Duration cameraStaleAfter = Duration.ofMillis(500);
    /** A screen picture older than this is reported STALE; zero means never (screens are sent only on change). */
    public Duration screenStaleAfter = Duration.ZERO;
    /** When false, the screen picture is put in a frame only when it changed (saves repeating 100 KB pictures). */
    public boolean repeatUnchangedScreen = false;
    /** After a silence of the whole session longer than this many ticks, the tick index jumps instead of emitting empty frames. */
    public int maxGapFrames = 50;
    /**
     * A session with no input for this long (processing time, counted from this operator instance's start at the
     * latest) whose last data the watermark has also passed by this much is dropped and its state cleared.
     */
    public Duration abandonAfter = Duration.ofSeconds(30);
    /** Backstop time-to-live of a session's state. */
    public Duration stateTtl = Duration.ofMinutes(10);
    /** Clock-offset estimation: minimum pictures and audio chunks seen before the offset is trusted. */
    public int offsetMinSamples = 8;
    /** Offsets smaller than this (in magnitude) are treated as zero, so transport jitter does not move pictures around. */
    public Duration offsetMinCorrection = Duration.ofMillis(10);
    /** Length of one bucket of the sliding minimum used by the offset estimator (two buckets are kept). */
    public Duration offsetWindow = Duration.ofSeconds(5);

    public long tickMicros() {
        return tick.toNanos() / 1000;
    }

    public int samplesPerTick() {
        return (int) (tickMicros() * sampleRate / 1_000_000L);
    }

    /** Checks the values and returns this, so configs fail at job build time rather than on the first chunk. */
    public AlignConfig validate() {
        long ms = tick.toMillis();
        if (ms < 20 || ms > 80 || tick.toNanos() % 1_000_000L != 0) {
            throw new IllegalArgumentException("tick must be a whole number of milliseconds in [20, 80], was " + tick);
        }
        if ((tickMicros() * sampleRate) % 1_000_000L != 0) {
            throw new IllegalArgumentException("tick " + tick + " is not a whole number of samples at " + sampleRate + " Hz");
        }
        if (outOfOrderness.isNegative() || idleness.isNegative() || abandonAfter.isNegative() || abandonAfter.isZero()) {
            throw new IllegalArgumentException("durations must be positive");
        }
        if (stalledSessionFlush.isNegative()) {
            throw new IllegalArgumentException("stalledSessionFlush must not be negative");
        }
        if (maxGapFrames < 1 || offsetMinSamples < 1) {
            throw new IllegalArgumentException("maxGapFrames and offsetMinSamples must be >= 1");
        }
        return this;
    }
}
