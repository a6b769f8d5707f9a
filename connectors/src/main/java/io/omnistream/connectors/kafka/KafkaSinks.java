package io.omnistream.connectors.kafka;

import io.omnistream.connectors.kafka.serde.AvroRecordSerializationSchema;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.AnalyticsRecord;
import io.omnistream.schemas.DeadLetter;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.SessionControl;
import java.nio.ByteBuffer;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The Kafka sinks of the jobs: key = sessionId bytes, value = binary Avro, low-latency producer settings
 * ({@link OmniKafkaProperties}: {@code linger.ms=0}, {@code acks=1}). The live path (events, agent, media, control,
 * dead letters) is at-least-once — the edge drops duplicates by responseId/seq; analytics can be exactly-once by
 * {@link KafkaConnectorConfig#analyticsDeliveryGuarantee()} (transactions, committed on checkpoints).
 */
public final class KafkaSinks {

    private KafkaSinks() {}

    public static KafkaSink<OmniEvent> events(String bootstrapServers, KafkaConnectorConfig config) {
        return atLeastOnce(bootstrapServers, OmniTopics.EVENTS, OmniEvent.class, OmniEvent::getSessionId, config);
    }

    public static KafkaSink<AgentResponse> agent(String bootstrapServers, KafkaConnectorConfig config) {
        return atLeastOnce(bootstrapServers, OmniTopics.AGENT, AgentResponse.class, AgentResponse::getSessionId,
                config);
    }

    public static KafkaSink<SessionControl> control(String bootstrapServers, KafkaConnectorConfig config) {
        return atLeastOnce(bootstrapServers, OmniTopics.CONTROL, SessionControl.class, SessionControl::getSessionId,
                config);
    }

    /** Media chunks to one media topic (replay tools, load tests). */
    public static KafkaSink<MediaChunk> media(String bootstrapServers, String topic, KafkaConnectorConfig config) {
        return atLeastOnce(bootstrapServers, topic, MediaChunk.class, MediaChunk::getSessionId, config);
    }

    /**
     * {@code omni.analytics}, at-least-once or exactly-once per {@link KafkaConnectorConfig}. Exactly-once needs
     * checkpointing; records become visible to {@code read_committed} consumers when a checkpoint completes.
     */
    public static KafkaSink<AnalyticsRecord> analytics(String bootstrapServers, KafkaConnectorConfig config) {
        return build(bootstrapServers, AvroRecordSerializationSchema.keyedBySession(OmniTopics.ANALYTICS,
                AnalyticsRecord.class, AnalyticsRecord::getSessionId), config.analyticsDeliveryGuarantee(), config);
    }

    /** {@code omni.dlq}, keyed by the original record's key, at-least-once. */
    public static KafkaSink<DeadLetter> deadLetters(String bootstrapServers, KafkaConnectorConfig config) {
        return build(bootstrapServers, AvroRecordSerializationSchema.keyedByBytes(OmniTopics.DLQ, DeadLetter.class,
                KafkaSinks::originalKey), DeliveryGuarantee.AT_LEAST_ONCE, config);
    }

    /** Any of our Avro types to one topic, keyed by session id, at-least-once. */
    public static <T extends SpecificRecordBase> KafkaSink<T> atLeastOnce(String bootstrapServers, String topic,
            Class<T> type, SerializableFunction<T, String> sessionId, KafkaConnectorConfig config) {
        return build(bootstrapServers, AvroRecordSerializationSchema.keyedBySession(topic, type, sessionId),
                DeliveryGuarantee.AT_LEAST_ONCE, config);
    }

    /** Any of our Avro types to one topic, keyed by session id, with the given guarantee. */
    public static <T extends SpecificRecordBase> KafkaSink<T> build(String bootstrapServers,
            KafkaRecordSerializationSchema<T> serializer, DeliveryGuarantee guarantee, KafkaConnectorConfig config) {
        var builder = KafkaSink.<T>builder()
                .setBootstrapServers(bootstrapServers)
                .setRecordSerializer(serializer)
                .setKafkaProducerConfig(config.producerOverrides())
                .setDeliveryGuarantee(guarantee);
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(config.transactionalIdPrefix())
                    .setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                            Long.toString(config.transactionTimeout().toMillis()))
                    // transactions need idempotence, which needs acks=all
                    .setProperty(ProducerConfig.ACKS_CONFIG, "all")
                    .setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        }
        return builder.build();
    }

    private static byte[] originalKey(DeadLetter d) {
        ByteBuffer key = d.getKey();
        if (key == null) {
            return null;
        }
        ByteBuffer dup = key.duplicate();
        byte[] bytes = new byte[dup.remaining()];
        dup.get(bytes);
        return bytes;
    }
}
