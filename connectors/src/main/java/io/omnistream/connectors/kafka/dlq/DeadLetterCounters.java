package io.omnistream.connectors.kafka.dlq;

import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * One Flink counter per {@link DeadLetterReason} in the metric group {@code omni.dlq} of an operator, so that
 * every rejected record is visible in Flink's metrics (e.g. {@code <operator>.omni.dlq.MALFORMED_RECORD}).
 */
public final class DeadLetterCounters {

    /** Metric group names. */
    public static final String GROUP = "omni";
    public static final String SUBGROUP = "dlq";

    private final Map<DeadLetterReason, Counter> counters = new EnumMap<>(DeadLetterReason.class);
    private final Counter unknown;

    public DeadLetterCounters(MetricGroup operatorGroup) {
        MetricGroup group = operatorGroup.addGroup(GROUP).addGroup(SUBGROUP);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            counters.put(reason, group.counter(reason.name()));
        }
        unknown = group.counter("OTHER");
    }

    /** Counts one dead letter with the given reason name (names that are not a {@link DeadLetterReason} count as OTHER). */
    public void count(String reason) {
        Counter c = null;
        try {
            c = counters.get(DeadLetterReason.valueOf(reason));
        } catch (IllegalArgumentException | NullPointerException e) {
            // fall through to OTHER
        }
        (c != null ? c : unknown).inc();
    }

    public void count(DeadLetterReason reason) {
        counters.get(reason).inc();
    }
}
