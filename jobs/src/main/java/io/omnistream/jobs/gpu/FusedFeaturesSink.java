package io.omnistream.jobs.gpu;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.operators.gpu.FusedFeatures;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The {@code omni.features} topic: the cross-modal attention stage's int8 fused features, one record per session and
 * window, key = sessionId, value = {@link FusedFeatures#toBytes()} (a small versioned binary layout documented
 * there, read back with {@link FusedFeatures#fromBytes}). At-least-once with the low-latency producer settings;
 * consumers (analytics, a downstream model) can tell duplicates by (sessionId, windowStartTick).
 */
public final class FusedFeaturesSink {
    public static final String TOPIC = io.omnistream.connectors.kafka.OmniTopics.FEATURES;

    private FusedFeaturesSink() {}

    public static KafkaSink<FusedFeatures> kafka(String bootstrapServers, KafkaConnectorConfig config) {
        return kafka(bootstrapServers, TOPIC, config);
    }

    public static KafkaSink<FusedFeatures> kafka(String bootstrapServers, String topic, KafkaConnectorConfig config) {
        Properties producer = OmniKafkaProperties.lowLatencyProducerOverrides();
        producer.putAll(config.producerProperties());
        return KafkaSink.<FusedFeatures>builder()
                .setBootstrapServers(bootstrapServers)
                .setRecordSerializer(new Serializer(topic))
                .setKafkaProducerConfig(producer)
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }

    static final class Serializer implements KafkaRecordSerializationSchema<FusedFeatures> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        Serializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(FusedFeatures f, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, timestamp, f.sessionId.getBytes(StandardCharsets.UTF_8), f.toBytes());
        }
    }
}
