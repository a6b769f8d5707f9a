package io.omnistream.connectors.kafka;

import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.connectors.kafka.serde.RobustAvroDeserializationSchema;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.DeadLetter;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.SessionControl;
import java.util.List;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The Kafka sources of the jobs. Every source yields {@link Decoded} records and never fails on bad bytes; split
 * them with {@code DeadLetterSplitter} (or {@code MediaValidationFunction} for media) and send the side output to
 * {@link KafkaSinks#deadLetters}. Consumer settings come from {@link OmniKafkaProperties} and the
 * {@link KafkaConnectorConfig}.
 */
public final class KafkaSources {

    private KafkaSources() {}

    /** One media topic ({@link OmniTopics#MEDIA_AUDIO}, {@code _VIDEO}, {@code _SCREEN}). */
    public static KafkaSource<Decoded<MediaChunk>> media(String bootstrapServers, String topic,
            KafkaConnectorConfig config) {
        return avro(bootstrapServers, List.of(topic), MediaChunk.class, "media." + topic, config);
    }

    /** All three media topics in one source. */
    public static KafkaSource<Decoded<MediaChunk>> allMedia(String bootstrapServers, KafkaConnectorConfig config) {
        return avro(bootstrapServers, OmniTopics.MEDIA, MediaChunk.class, "media", config);
    }

    public static KafkaSource<Decoded<SessionControl>> control(String bootstrapServers,
            KafkaConnectorConfig config) {
        return avro(bootstrapServers, List.of(OmniTopics.CONTROL), SessionControl.class, "control", config);
    }

    public static KafkaSource<Decoded<OmniEvent>> events(String bootstrapServers, KafkaConnectorConfig config) {
        return avro(bootstrapServers, List.of(OmniTopics.EVENTS), OmniEvent.class, "events", config);
    }

    public static KafkaSource<Decoded<AgentResponse>> agent(String bootstrapServers, KafkaConnectorConfig config) {
        return avro(bootstrapServers, List.of(OmniTopics.AGENT), AgentResponse.class, "agent", config);
    }

    public static KafkaSource<Decoded<DeadLetter>> deadLetters(String bootstrapServers,
            KafkaConnectorConfig config) {
        return avro(bootstrapServers, List.of(OmniTopics.DLQ), DeadLetter.class, "dlq", config);
    }

    /**
     * Any of our Avro types from the given topics; the consumer group is {@code <groupIdPrefix>.<groupSuffix>}.
     */
    public static <T extends SpecificRecordBase> KafkaSource<Decoded<T>> avro(String bootstrapServers,
            List<String> topics, Class<T> type, String groupSuffix, KafkaConnectorConfig config) {
        return KafkaSource.<Decoded<T>>builder()
                .setBootstrapServers(bootstrapServers)
                .setTopics(topics)
                .setGroupId(config.groupIdPrefix() + "." + groupSuffix)
                .setClientIdPrefix(config.groupIdPrefix() + "-" + groupSuffix)
                .setStartingOffsets(startingOffsets(config.startOffsets()))
                .setDeserializer(RobustAvroDeserializationSchema.of(type))
                .setProperties(config.consumerOverrides())
                .build();
    }

    @SuppressWarnings("deprecation")
    static OffsetsInitializer startingOffsets(KafkaConnectorConfig.StartOffsets start) {
        return switch (start) {
            case LATEST -> OffsetsInitializer.latest();
            case EARLIEST -> OffsetsInitializer.earliest();
            case COMMITTED_OR_LATEST -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.LATEST);
        };
    }
}
