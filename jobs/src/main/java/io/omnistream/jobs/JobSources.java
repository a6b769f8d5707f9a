package io.omnistream.jobs;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.KafkaSources;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.SessionControl;
import org.apache.flink.api.connector.source.Source;

/**
 * The sources the session pipeline reads, given to the job from outside so tests can wire bounded or test sources
 * into the very same graph. Every source yields {@link Decoded} records: a value or a dead letter, never an exception.
 */
public record JobSources(
        Source<Decoded<MediaChunk>, ?, ?> audio,
        Source<Decoded<MediaChunk>, ?, ?> video,
        Source<Decoded<MediaChunk>, ?, ?> screen,
        Source<Decoded<SessionControl>, ?, ?> control,
        Source<Decoded<AgentResponse>, ?, ?> agent) {

    /** The live Kafka topics. */
    public static JobSources kafka(String bootstrapServers, KafkaConnectorConfig config) {
        return new JobSources(
                KafkaSources.media(bootstrapServers, OmniTopics.MEDIA_AUDIO, config),
                KafkaSources.media(bootstrapServers, OmniTopics.MEDIA_VIDEO, config),
                KafkaSources.media(bootstrapServers, OmniTopics.MEDIA_SCREEN, config),
                KafkaSources.control(bootstrapServers, config),
                KafkaSources.agent(bootstrapServers, config));
    }
}
