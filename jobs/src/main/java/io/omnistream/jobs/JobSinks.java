package io.omnistream.jobs;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.KafkaSinks;
import io.omnistream.jobs.gpu.FusedFeaturesSink;
import io.omnistream.operators.gpu.FusedFeatures;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.AnalyticsRecord;
import io.omnistream.schemas.DeadLetter;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.PerceptionFrame;
import org.apache.flink.api.connector.sink2.Sink;

/**
 * Where the session pipeline writes. {@code frames} is an optional tap of the aligned frames (null: off), used by
 * tests and by debugging consumers; {@code features} gets the batched GPU stages' int8 fused features
 * ({@code omni.features}, only when those stages run); the rest are the product's topics.
 */
public record JobSinks(
        Sink<DeadLetter> deadLetters,
        Sink<OmniEvent> events,
        Sink<AgentResponse> agent,
        Sink<AnalyticsRecord> analytics,
        Sink<PerceptionFrame> frames,
        Sink<FusedFeatures> features) {

    /** Without a fused-features sink. */
    public JobSinks(Sink<DeadLetter> deadLetters, Sink<OmniEvent> events, Sink<AgentResponse> agent,
            Sink<AnalyticsRecord> analytics, Sink<PerceptionFrame> frames) {
        this(deadLetters, events, agent, analytics, frames, null);
    }

    /** The live Kafka topics; {@code frameTopic} may be null. */
    public static JobSinks kafka(String bootstrapServers, KafkaConnectorConfig config, String frameTopic) {
        return new JobSinks(
                KafkaSinks.deadLetters(bootstrapServers, config),
                KafkaSinks.events(bootstrapServers, config),
                KafkaSinks.agent(bootstrapServers, config),
                KafkaSinks.analytics(bootstrapServers, config),
                frameTopic == null ? null : KafkaSinks.atLeastOnce(bootstrapServers, frameTopic, PerceptionFrame.class,
                        PerceptionFrame::getSessionId, config),
                FusedFeaturesSink.kafka(bootstrapServers, config));
    }
}
