package io.omnistream.connectors.kafka.validation;

import io.omnistream.connectors.kafka.dlq.DeadLetterReason;
import java.util.Objects;

/** One broken rule: the reason code for {@code omni.dlq} and a human-readable detail. */
public record Violation(DeadLetterReason reason, String detail) {
    public Violation {
        Objects.requireNonNull(reason);
        Objects.requireNonNull(detail);
    }
}
