package io.omnistream.connectors.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The edge's own counters next to Vert.x's HTTP metrics in the same Prometheus registry, so one scrape of
 * {@code /metrics} shows admission errors, media published and agent audio played per edge.
 */
public final class EdgeMetrics {
    private final Map<SignalingError, Counter> errors = new EnumMap<>(SignalingError.class);
    private final AtomicInteger activeSessions = new AtomicInteger();
    final Counter sessionsStarted;
    final Counter sessionsEnded;
    final Counter sessionsResumed;
    final Counter audioChunks;
    final Counter cameraFrames;
    final Counter screenFrames;
    final Counter framesDropped;
    final Counter mediaBytes;
    final Counter kafkaSendErrors;
    final Counter eventsDelivered;
    final Counter agentDuplicates;
    final Counter agentFramesPlayed;
    final Counter agentFlushes;
    final Counter agentSuperseded;
    final Counter agentStale;
    final Counter returnPathDecodeErrors;
    final DistributionSummary audioJitterBufferMs;

    EdgeMetrics(MeterRegistry registry) {
        for (SignalingError e : SignalingError.values()) {
            errors.put(e, Counter.builder("omni.edge.errors").tag("code", e.code())
                    .description("Signaling/admission errors by code").register(registry));
        }
        registry.gauge("omni.edge.sessions.active", activeSessions);
        sessionsStarted = Counter.builder("omni.edge.sessions.started").register(registry);
        sessionsEnded = Counter.builder("omni.edge.sessions.ended").register(registry);
        sessionsResumed = Counter.builder("omni.edge.sessions.resumed")
                .description("Sessions continued here after their edge or connection was lost").register(registry);
        audioChunks = Counter.builder("omni.edge.media.chunks").tag("kind", "audio").register(registry);
        cameraFrames = Counter.builder("omni.edge.media.chunks").tag("kind", "camera").register(registry);
        screenFrames = Counter.builder("omni.edge.media.chunks").tag("kind", "screen").register(registry);
        framesDropped = Counter.builder("omni.edge.media.frames.dropped").register(registry);
        mediaBytes = Counter.builder("omni.edge.media.bytes").description("Serialized bytes sent to Kafka").register(registry);
        kafkaSendErrors = Counter.builder("omni.edge.kafka.send.errors").register(registry);
        eventsDelivered = Counter.builder("omni.edge.events.delivered").register(registry);
        agentDuplicates = Counter.builder("omni.edge.agent.duplicates").register(registry);
        agentFramesPlayed = Counter.builder("omni.edge.agent.frames.played").register(registry);
        agentFlushes = Counter.builder("omni.edge.agent.flushes").register(registry);
        agentSuperseded = Counter.builder("omni.edge.agent.superseded")
                .description("Answers cut short because a newer answer started").register(registry);
        agentStale = Counter.builder("omni.edge.agent.stale")
                .description("Answer chunks dropped because their answer was cancelled or superseded").register(registry);
        returnPathDecodeErrors = Counter.builder("omni.edge.returnpath.decode.errors").register(registry);
        audioJitterBufferMs = DistributionSummary.builder("omni.edge.audio.receive.jitter.buffer")
                .description("Average delay of the customer's audio in the edge's receive jitter buffer (NetEq), sampled"
                        + " each second per session").baseUnit("milliseconds").register(registry);
    }

    void error(SignalingError e) {
        errors.get(e).increment();
    }

    /** How often the given error was answered. */
    public double errorCount(SignalingError e) {
        return errors.get(e).count();
    }

    AtomicInteger activeSessions() {
        return activeSessions;
    }

    public double audioChunks() { return audioChunks.count(); }
    public double cameraFrames() { return cameraFrames.count(); }
    public double screenFrames() { return screenFrames.count(); }
    public double mediaBytes() { return mediaBytes.count(); }
    public double agentFramesPlayed() { return agentFramesPlayed.count(); }
    public double agentDuplicates() { return agentDuplicates.count(); }
    public double agentFlushes() { return agentFlushes.count(); }
    /** Mean and max of the sampled receive jitter buffer delays, ms. */
    public double audioJitterBufferMeanMs() { return audioJitterBufferMs.mean(); }
    public double audioJitterBufferMaxMs() { return audioJitterBufferMs.max(); }
    public double agentSuperseded() { return agentSuperseded.count(); }
    public double agentStale() { return agentStale.count(); }
    public double sessionsEnded() { return sessionsEnded.count(); }
    public double sessionsResumed() { return sessionsResumed.count(); }
}
