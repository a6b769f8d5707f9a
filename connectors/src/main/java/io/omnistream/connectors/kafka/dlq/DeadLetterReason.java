package io.omnistream.connectors.kafka.dlq;

/**
 * Why a record went to {@code omni.dlq}. The name is written to {@code DeadLetter.reason} and is the name of the
 * Flink counter in the metric group {@code omni.dlq}.
 */
public enum DeadLetterReason {
    /** The bytes are not a binary Avro record of the topic's type. */
    MALFORMED_RECORD,
    /** The record has no value (tombstone). */
    MISSING_VALUE,
    /** The session id does not match the configured format. */
    INVALID_SESSION_ID,
    /** A size, sample rate, duration or sequence number is negative. */
    NEGATIVE_FIELD,
    /** The media payload is empty. */
    EMPTY_PAYLOAD,
    /** The payload is larger than the configured limit for its kind. */
    PAYLOAD_TOO_LARGE,
    /** Audio that is not 20 ms of PCM16 mono at 16 kHz (wrong sample rate, duration or byte count). */
    WRONG_AUDIO_FORMAT,
    /** The capture time is negative or too far from the session's media clock. */
    CLOCK_OUT_OF_RANGE,
    /** A chunk whose kind does not belong on the topic it was read from. */
    KIND_TOPIC_MISMATCH
}
