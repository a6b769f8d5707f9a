package io.omnistream.connectors.kafka.validation;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Limits that incoming {@code MediaChunk}s must respect, in one typed place with defaults that match what the edge
 * produces (20 ms PCM16 mono at 16 kHz, camera JPEG, screen JPEG). Immutable; change values with the builder.
 */
public final class MediaValidationConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Default session id format: 8 to 64 URL-safe characters. */
    public static final String DEFAULT_SESSION_ID_PATTERN = "^[A-Za-z0-9_-]{8,64}$";

    private final String sessionIdPattern;
    private final int maxAudioPayloadBytes;
    private final int maxVideoPayloadBytes;
    private final int maxScreenPayloadBytes;
    private final int audioSampleRate;
    private final long audioChunkMicros;
    private final long clockWindowMicros;
    private final int clockReanchorChunks;
    private final Duration sessionStateTtl;
    private transient Pattern compiled;

    private MediaValidationConfig(Builder b) {
        this.sessionIdPattern = b.sessionIdPattern;
        this.maxAudioPayloadBytes = b.maxAudioPayloadBytes;
        this.maxVideoPayloadBytes = b.maxVideoPayloadBytes;
        this.maxScreenPayloadBytes = b.maxScreenPayloadBytes;
        this.audioSampleRate = b.audioSampleRate;
        this.audioChunkMicros = b.audioChunkMicros;
        this.clockWindowMicros = b.clockWindowMicros;
        this.clockReanchorChunks = b.clockReanchorChunks;
        this.sessionStateTtl = b.sessionStateTtl;
        Pattern.compile(sessionIdPattern); // fail fast on a bad pattern
    }

    public static MediaValidationConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .sessionIdPattern(sessionIdPattern)
                .maxAudioPayloadBytes(maxAudioPayloadBytes)
                .maxVideoPayloadBytes(maxVideoPayloadBytes)
                .maxScreenPayloadBytes(maxScreenPayloadBytes)
                .audioSampleRate(audioSampleRate)
                .audioChunkMicros(audioChunkMicros)
                .clockWindowMicros(clockWindowMicros)
                .clockReanchorChunks(clockReanchorChunks)
                .sessionStateTtl(sessionStateTtl);
    }

    /** Regular expression a session id must match (whole string). */
    public String sessionIdPattern() {
        return sessionIdPattern;
    }

    Pattern compiledSessionIdPattern() {
        if (compiled == null) {
            compiled = Pattern.compile(sessionIdPattern);
        }
        return compiled;
    }

    /** Largest audio payload accepted (default 16 KiB). */
    public int maxAudioPayloadBytes() {
        return maxAudioPayloadBytes;
    }

    /** Largest camera JPEG accepted (default 2 MiB). */
    public int maxVideoPayloadBytes() {
        return maxVideoPayloadBytes;
    }

    /** Largest screen JPEG accepted (default 4 MiB). */
    public int maxScreenPayloadBytes() {
        return maxScreenPayloadBytes;
    }

    /** Required audio sample rate (default 16000 Hz). */
    public int audioSampleRate() {
        return audioSampleRate;
    }

    /** Required audio chunk duration (default 20,000 µs). */
    public long audioChunkMicros() {
        return audioChunkMicros;
    }

    /** Required audio payload size: PCM16 mono, {@code rate × duration × 2 bytes} (default 640). */
    public int audioChunkBytes() {
        return (int) (audioSampleRate * audioChunkMicros / 1_000_000L * 2);
    }

    /**
     * How far a chunk's capture time may be from the latest accepted capture time of its session, either way
     * (default 10 s), unless a sustained forward jump re-anchors the session's clock
     * ({@link #clockReanchorChunks()}).
     */
    public long clockWindowMicros() {
        return clockWindowMicros;
    }

    /**
     * How many consecutive chunks of a session must agree on a forward clock jump beyond
     * {@link #clockWindowMicros()} before the session's clock is re-anchored there (default 25: half a second of
     * audio). Each of them must be ahead of the window, at or after the first chunk of the jump and at most one
     * window after the newest; the first {@code n - 1} are rejected, the {@code n}-th and those after it pass. A
     * chunk inside the window, or one behind it, breaks the run. See {@link MediaValidationFunction}.
     */
    public int clockReanchorChunks() {
        return clockReanchorChunks;
    }

    /** How long the per-session clock state lives after its last update (default 10 min). */
    public Duration sessionStateTtl() {
        return sessionStateTtl;
    }

    @Override
    public String toString() {
        return "MediaValidationConfig{sessionIdPattern=" + sessionIdPattern + ", maxAudioPayloadBytes="
                + maxAudioPayloadBytes + ", maxVideoPayloadBytes=" + maxVideoPayloadBytes
                + ", maxScreenPayloadBytes=" + maxScreenPayloadBytes + ", audioSampleRate=" + audioSampleRate
                + ", audioChunkMicros=" + audioChunkMicros + ", clockWindowMicros=" + clockWindowMicros
                + ", clockReanchorChunks=" + clockReanchorChunks + ", sessionStateTtl=" + sessionStateTtl + "}";
    }

    /** Builder with the defaults filled in. */
    public static final class Builder {
        private String sessionIdPattern = DEFAULT_SESSION_ID_PATTERN;
        private int maxAudioPayloadBytes = 16 * 1024;
        private int maxVideoPayloadBytes = 2 * 1024 * 1024;
        private int maxScreenPayloadBytes = 4 * 1024 * 1024;
        private int audioSampleRate = 16_000;
        private long audioChunkMicros = 20_000;
        private long clockWindowMicros = 10_000_000;
        private int clockReanchorChunks = 25;
        private Duration sessionStateTtl = Duration.ofMinutes(10);

        private Builder() {}

        public Builder sessionIdPattern(String v) {
            this.sessionIdPattern = Objects.requireNonNull(v);
            return this;
        }

        public Builder maxAudioPayloadBytes(int v) {
            this.maxAudioPayloadBytes = positive(v, "maxAudioPayloadBytes");
            return this;
        }

        public Builder maxVideoPayloadBytes(int v) {
            this.maxVideoPayloadBytes = positive(v, "maxVideoPayloadBytes");
            return this;
        }

        public Builder maxScreenPayloadBytes(int v) {
            this.maxScreenPayloadBytes = positive(v, "maxScreenPayloadBytes");
            return this;
        }

        public Builder audioSampleRate(int v) {
            this.audioSampleRate = positive(v, "audioSampleRate");
            return this;
        }

        public Builder audioChunkMicros(long v) {
            this.audioChunkMicros = positive(v, "audioChunkMicros");
            return this;
        }

        public Builder clockWindowMicros(long v) {
            this.clockWindowMicros = positive(v, "clockWindowMicros");
            return this;
        }

        /** At least 2: with 1, any single wild timestamp would move the session's clock. */
        public Builder clockReanchorChunks(int v) {
            if (v < 2) {
                throw new IllegalArgumentException("clockReanchorChunks must be at least 2: " + v);
            }
            this.clockReanchorChunks = v;
            return this;
        }

        public Builder sessionStateTtl(Duration v) {
            if (v == null || v.isNegative() || v.isZero()) {
                throw new IllegalArgumentException("sessionStateTtl must be positive");
            }
            this.sessionStateTtl = v;
            return this;
        }

        public MediaValidationConfig build() {
            return new MediaValidationConfig(this);
        }

        private static <N extends Number> N positive(N v, String name) {
            if (v.longValue() <= 0) {
                throw new IllegalArgumentException(name + " must be positive: " + v);
            }
            return v;
        }
    }
}
