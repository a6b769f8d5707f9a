package io.omnistream.connectors.kafka.dlq;

import io.omnistream.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Builds {@link DeadLetter}s the same way everywhere. */
public final class DeadLetters {

    private DeadLetters() {}

    public static DeadLetter of(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
            DeadLetterReason reason, String detail) {
        return DeadLetter.newBuilder()
                .setSourceTopic(sourceTopic == null ? "" : sourceTopic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setReason(reason.name())
                .setDetail(detail == null ? "" : truncate(detail))
                .setTimeMicros(ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()))
                .build();
    }

    private static String truncate(String s) {
        return s.length() <= 1000 ? s : s.substring(0, 1000) + "...";
    }
}
