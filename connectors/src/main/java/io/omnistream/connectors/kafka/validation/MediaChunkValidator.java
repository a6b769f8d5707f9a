package io.omnistream.connectors.kafka.validation;

import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.dlq.DeadLetterReason;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import java.io.Serializable;
import java.util.Objects;
import java.util.Optional;

/**
 * Every rule a {@link MediaChunk} must pass before it enters the session pipeline, in one class: session id format,
 * no negative sizes/rates/sequence numbers, non-empty payload within the per-kind limit, audio exactly PCM16 20 ms at
 * the configured rate, and a capture time on the session's clock. The per-record rules are in
 * {@link #validate(MediaChunk, String)}; the clock rule needs the session's latest accepted capture time, which
 * {@link MediaValidationFunction} keeps in keyed state and passes to {@link #checkClock(MediaChunk, Long)}.
 */
public final class MediaChunkValidator implements Serializable {

    private static final long serialVersionUID = 1L;

    private final MediaValidationConfig config;

    public MediaChunkValidator(MediaValidationConfig config) {
        this.config = Objects.requireNonNull(config);
    }

    public MediaValidationConfig config() {
        return config;
    }

    /**
     * Checks the rules that need only the chunk itself.
     *
     * @param sourceTopic the topic the chunk was read from, or null/empty when unknown (then the kind is not checked
     *     against the topic)
     * @return the first broken rule, or empty
     */
    public Optional<Violation> validate(MediaChunk chunk, String sourceTopic) {
        String sessionId = chunk.getSessionId();
        if (sessionId == null || !config.compiledSessionIdPattern().matcher(sessionId).matches()) {
            return violation(DeadLetterReason.INVALID_SESSION_ID,
                    "session id " + abbreviate(sessionId) + " does not match " + config.sessionIdPattern());
        }
        if (chunk.getKind() == null) {
            return violation(DeadLetterReason.MALFORMED_RECORD, "no media kind");
        }
        if (sourceTopic != null && OmniTopics.MEDIA.contains(sourceTopic)
                && !OmniTopics.mediaTopic(chunk.getKind()).equals(sourceTopic)) {
            return violation(DeadLetterReason.KIND_TOPIC_MISMATCH,
                    chunk.getKind() + " chunk on topic " + sourceTopic);
        }
        if (chunk.getSeq() < 0) {
            return violation(DeadLetterReason.NEGATIVE_FIELD, "seq " + chunk.getSeq());
        }
        if (chunk.getDurationMicros() < 0) {
            return violation(DeadLetterReason.NEGATIVE_FIELD, "durationMicros " + chunk.getDurationMicros());
        }
        if (chunk.getSampleRate() < 0) {
            return violation(DeadLetterReason.NEGATIVE_FIELD, "sampleRate " + chunk.getSampleRate());
        }
        if (chunk.getWidth() < 0 || chunk.getHeight() < 0) {
            return violation(DeadLetterReason.NEGATIVE_FIELD,
                    "size " + chunk.getWidth() + "x" + chunk.getHeight());
        }
        int payloadBytes = chunk.getPayload() == null ? 0 : chunk.getPayload().remaining();
        if (payloadBytes == 0) {
            return violation(DeadLetterReason.EMPTY_PAYLOAD, "empty " + chunk.getKind() + " payload");
        }
        int limit = limit(chunk.getKind());
        if (payloadBytes > limit) {
            return violation(DeadLetterReason.PAYLOAD_TOO_LARGE,
                    chunk.getKind() + " payload of " + payloadBytes + " bytes exceeds the limit of " + limit);
        }
        if (chunk.getKind() == MediaKind.AUDIO) {
            if (chunk.getSampleRate() != config.audioSampleRate()
                    || chunk.getDurationMicros() != config.audioChunkMicros()
                    || payloadBytes != config.audioChunkBytes()) {
                return violation(DeadLetterReason.WRONG_AUDIO_FORMAT, "audio of " + payloadBytes + " bytes, "
                        + chunk.getSampleRate() + " Hz, " + chunk.getDurationMicros() + " µs; expected "
                        + config.audioChunkBytes() + " bytes (PCM16 mono), " + config.audioSampleRate() + " Hz, "
                        + config.audioChunkMicros() + " µs");
            }
        }
        if (chunk.getCaptureTimeMicros() < 0) {
            return violation(DeadLetterReason.CLOCK_OUT_OF_RANGE,
                    "negative captureTimeMicros " + chunk.getCaptureTimeMicros());
        }
        return Optional.empty();
    }

    /**
     * Checks the capture time against the session clock.
     *
     * @param latestAcceptedCaptureMicros the latest capture time accepted for the chunk's session, null if none
     */
    public Optional<Violation> checkClock(MediaChunk chunk, Long latestAcceptedCaptureMicros) {
        long capture = chunk.getCaptureTimeMicros();
        if (capture < 0) {
            return violation(DeadLetterReason.CLOCK_OUT_OF_RANGE, "negative captureTimeMicros " + capture);
        }
        if (latestAcceptedCaptureMicros != null
                && Math.abs(capture - latestAcceptedCaptureMicros) > config.clockWindowMicros()) {
            return violation(DeadLetterReason.CLOCK_OUT_OF_RANGE, "captureTimeMicros " + capture + " is "
                    + (capture - latestAcceptedCaptureMicros) + " µs from the session clock at "
                    + latestAcceptedCaptureMicros + " (window ±" + config.clockWindowMicros() + " µs)");
        }
        return Optional.empty();
    }

    private int limit(MediaKind kind) {
        return switch (kind) {
            case AUDIO -> config.maxAudioPayloadBytes();
            case CAMERA -> config.maxVideoPayloadBytes();
            case SCREEN -> config.maxScreenPayloadBytes();
        };
    }

    private static Optional<Violation> violation(DeadLetterReason reason, String detail) {
        return Optional.of(new Violation(reason, detail));
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "null";
        }
        return "'" + (s.length() <= 80 ? s : s.substring(0, 80) + "...") + "'";
    }
}
