package io.omnistream.connectors.kafka;

import java.io.Serializable;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * Settings of the Kafka sources and sinks of the jobs, in one typed place. {@link #live()} (the default) reads from
 * the latest offsets, as a live pipeline should not replay old media; {@link #forTests()} reads from the earliest
 * offsets so a test can produce first and start the job afterwards. Immutable.
 */
public final class KafkaConnectorConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Where a source starts when its consumer group has no committed offsets. */
    public enum StartOffsets {
        /** Only records produced after the job started. */
        LATEST,
        /** Everything still in the topic. */
        EARLIEST,
        /** The group's committed offsets, else latest (resuming a stopped job). */
        COMMITTED_OR_LATEST
    }

    private final String groupIdPrefix;
    private final StartOffsets startOffsets;
    private final DeliveryGuarantee analyticsDeliveryGuarantee;
    private final String transactionalIdPrefix;
    private final Duration transactionTimeout;
    private final Map<String, String> consumerProperties;
    private final Map<String, String> producerProperties;

    private KafkaConnectorConfig(Builder b) {
        this.groupIdPrefix = b.groupIdPrefix;
        this.startOffsets = b.startOffsets;
        this.analyticsDeliveryGuarantee = b.analyticsDeliveryGuarantee;
        this.transactionalIdPrefix = b.transactionalIdPrefix;
        this.transactionTimeout = b.transactionTimeout;
        this.consumerProperties = Map.copyOf(b.consumerProperties);
        this.producerProperties = Map.copyOf(b.producerProperties);
    }

    /** Defaults for the live pipeline: latest offsets, at-least-once analytics. */
    public static KafkaConnectorConfig live() {
        return builder().build();
    }

    /** Defaults for tests: earliest offsets. */
    public static KafkaConnectorConfig forTests() {
        return builder().startOffsets(StartOffsets.EARLIEST).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder()
                .groupIdPrefix(groupIdPrefix)
                .startOffsets(startOffsets)
                .analyticsDeliveryGuarantee(analyticsDeliveryGuarantee)
                .transactionalIdPrefix(transactionalIdPrefix)
                .transactionTimeout(transactionTimeout);
        consumerProperties.forEach(b::consumerProperty);
        producerProperties.forEach(b::producerProperty);
        return b;
    }

    /** Consumer groups are named {@code <prefix>.<what>} (default prefix {@code omni}). */
    public String groupIdPrefix() {
        return groupIdPrefix;
    }

    public StartOffsets startOffsets() {
        return startOffsets;
    }

    /** AT_LEAST_ONCE (default) or EXACTLY_ONCE for {@code omni.analytics}. */
    public DeliveryGuarantee analyticsDeliveryGuarantee() {
        return analyticsDeliveryGuarantee;
    }

    /** Transactional id prefix of exactly-once sinks (default {@code omni-analytics}); unique per job. */
    public String transactionalIdPrefix() {
        return transactionalIdPrefix;
    }

    /**
     * {@code transaction.timeout.ms} of exactly-once sinks (default 5 min); must stay below the broker's
     * {@code transaction.max.timeout.ms} (15 min by default) and above the checkpoint interval.
     */
    public Duration transactionTimeout() {
        return transactionTimeout;
    }

    /** Extra consumer properties, applied last. */
    public Map<String, String> consumerProperties() {
        return consumerProperties;
    }

    /** Extra producer properties, applied last. */
    public Map<String, String> producerProperties() {
        return producerProperties;
    }

    Properties consumerOverrides() {
        Properties p = OmniKafkaProperties.lowLatencyConsumerOverrides();
        p.putAll(consumerProperties);
        return p;
    }

    Properties producerOverrides() {
        Properties p = OmniKafkaProperties.lowLatencyProducerOverrides();
        p.putAll(producerProperties);
        return p;
    }

    @Override
    public String toString() {
        return "KafkaConnectorConfig{groupIdPrefix=" + groupIdPrefix + ", startOffsets=" + startOffsets
                + ", analyticsDeliveryGuarantee=" + analyticsDeliveryGuarantee + ", transactionalIdPrefix="
                + transactionalIdPrefix + ", transactionTimeout=" + transactionTimeout + ", consumerProperties="
                + consumerProperties + ", producerProperties=" + producerProperties + "}";
    }

    /** Builder with the live defaults filled in. */
    public static final class Builder {
        private String groupIdPrefix = "omni";
        private StartOffsets startOffsets = StartOffsets.LATEST;
        private DeliveryGuarantee analyticsDeliveryGuarantee = DeliveryGuarantee.AT_LEAST_ONCE;
        private String transactionalIdPrefix = "omni-analytics";
        private Duration transactionTimeout = Duration.ofMinutes(5);
        private final Map<String, String> consumerProperties = new LinkedHashMap<>();
        private final Map<String, String> producerProperties = new LinkedHashMap<>();

        private Builder() {}

        public Builder groupIdPrefix(String v) {
            this.groupIdPrefix = Objects.requireNonNull(v);
            return this;
        }

        public Builder startOffsets(StartOffsets v) {
            this.startOffsets = Objects.requireNonNull(v);
            return this;
        }

        public Builder analyticsDeliveryGuarantee(DeliveryGuarantee v) {
            this.analyticsDeliveryGuarantee = Objects.requireNonNull(v);
            return this;
        }

        public Builder transactionalIdPrefix(String v) {
            this.transactionalIdPrefix = Objects.requireNonNull(v);
            return this;
        }

        public Builder transactionTimeout(Duration v) {
            if (v == null || v.isNegative() || v.isZero() || v.compareTo(Duration.ofMinutes(15)) >= 0) {
                throw new IllegalArgumentException(
                        "transactionTimeout must be positive and below the broker maximum of 15 min: " + v);
            }
            this.transactionTimeout = v;
            return this;
        }

        public Builder consumerProperty(String key, String value) {
            consumerProperties.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        public Builder producerProperty(String key, String value) {
            producerProperties.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        public KafkaConnectorConfig build() {
            return new KafkaConnectorConfig(this);
        }
    }
}
