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
    final DistributionSummary audioClockLatenessMs;
    final Counter receivePullGaps;
    final Counter audioClockSkips;
    final DistributionSummary audioClockSkippedMs;
    final Counter audioClockDroppedMs;
    final DistributionSummary receivePullRatio;
    final DistributionSummary receiveArrivalJitterMs;
    final Counter mediaThreadsRaised;

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
        audioClockLatenessMs = DistributionSummary.builder("omni.edge.audio.clock.lateness")
                .description("How late each pass of the edge's 10 ms agent audio clock woke after its deadline")
                .baseUnit("milliseconds").publishPercentiles(0.5, 0.95, 0.99).register(registry);
        receivePullGaps = Counter.builder("omni.edge.audio.receive.pull.gaps")
                .description("Customer audio frames delivered more than 20 ms after the previous one (the audio"
                        + " module's native 10 ms pull ran late)").register(registry);
        audioClockSkips = Counter.builder("omni.edge.mic.clock.skips")
                .description("Times a session's customer-audio sample clock stayed more than 40 ms behind its wall clock for 2 s"
                        + " (the audio module delivered less than real time) and skipped ahead").register(registry);
        audioClockSkippedMs = DistributionSummary.builder("omni.edge.mic.clock.skipped")
                .description("Customer audio the sample clock skipped per skip (a hole of whole 20 ms chunks)")
                .baseUnit("milliseconds").register(registry);
        audioClockDroppedMs = Counter.builder("omni.edge.mic.clock.dropped")
                .description("Customer audio dropped because it came more than 200 ms ahead of the session's wall clock"
                        + " (delivered late after the clock had skipped over it), ms").register(registry);
        receivePullRatio = DistributionSummary.builder("omni.edge.audio.receive.pull.ratio")
                .description("Customer audio delivered per second of wall clock, sampled each second per session"
                        + " (1 = real time; below 1 the receive jitter buffer fills up)").register(registry);
        mediaThreadsRaised = Counter.builder("omni.edge.media.threads.raised")
                .description("webrtc-java network/worker threads given real-time (or nice) scheduling").register(registry);
        receiveArrivalJitterMs = DistributionSummary.builder("omni.edge.audio.receive.arrival.jitter")
                .description("RFC 3550 interarrival jitter of the customer's audio packets at the edge (inbound-rtp"
                        + " jitter), sampled each second per session").baseUnit("milliseconds").register(registry);
    }

    /** Publishes the audio clock's counters ({@code omni.edge.audio.clock.*}). */
    void bindAudioClock(MeterRegistry registry, AudioClock clock) {
        io.micrometer.core.instrument.FunctionCounter.builder("omni.edge.audio.clock.ticks", clock, AudioClock::ticks)
                .description("Agent audio ticks run, summed over sessions").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("omni.edge.audio.clock.late", clock,
                AudioClock::lateTicks).description("Clock ticks run more than one period after their deadline (overrun)")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("omni.edge.audio.clock.skipped", clock,
                AudioClock::skippedTicks).description("Clock ticks skipped after falling too far behind")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("omni.edge.audio.clock.busy", clock,
                AudioClock::busyRetries).description("Session ticks postponed because the session was busy")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("omni.edge.audio.clock.errors", clock,
                AudioClock::errors).description("Session ticks that failed").register(registry);
        io.micrometer.core.instrument.Gauge.builder("omni.edge.audio.clock.os.priority", clock,
                c -> c.osPriority().ordinal())
                .description("Scheduling of the clock thread: 0 unknown, 1 default, 2 nice, 3 real-time")
                .register(registry);
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
    /** Mean and max lateness of the agent audio clock's passes, ms. */
    public double audioClockLatenessMeanMs() { return audioClockLatenessMs.mean(); }
    public double audioClockLatenessMaxMs() { return audioClockLatenessMs.max(); }
    /** Late customer-audio pulls (gaps over 20 ms) and the mean delivered-per-wall-second ratio. */
    public double receivePullGaps() { return receivePullGaps.count(); }
    public double receivePullRatioMean() { return receivePullRatio.mean(); }
    /** Skips of the customer-audio sample clock to the wall clock, and the audio skipped in all, ms. */
    public double audioClockSkips() { return audioClockSkips.count(); }
    public double audioClockSkippedMs() { return audioClockSkippedMs.totalAmount(); }
    public double audioClockDroppedMs() { return audioClockDroppedMs.count(); }
    public double agentStale() { return agentStale.count(); }
    public double sessionsEnded() { return sessionsEnded.count(); }
    public double sessionsResumed() { return sessionsResumed.count(); }
}
