package io.omnistream.connectors.kafka.validation;

import io.omnistream.connectors.kafka.dlq.DeadLetterCounters;
import io.omnistream.connectors.kafka.dlq.DeadLetterReason;
import io.omnistream.connectors.kafka.dlq.DeadLetterSplitter;
import io.omnistream.connectors.kafka.dlq.DeadLetters;
import io.omnistream.connectors.kafka.serde.AvroCodec;
import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.schemas.MediaChunk;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate between the media topics and the session pipeline: lets valid {@link MediaChunk}s through and sends
 * everything else (records that could not be decoded, and chunks breaking a {@link MediaChunkValidator} rule) to the
 * {@link DeadLetterSplitter#DEAD_LETTERS} side output, counted per reason. Keyed by session id
 * ({@link #sessionKey()}) because the clock rule compares each chunk with the latest capture time accepted for its
 * session; that state expires after {@link MediaValidationConfig#sessionStateTtl()} without updates.
 *
 * <h2>The clock rule, and when the session clock re-anchors</h2>
 * A session's <i>anchor</i> is the latest capture time accepted for it (audio, camera and screen together: they
 * share the session clock). A chunk within {@link MediaValidationConfig#clockWindowMicros() ±window} (10 s) of the
 * anchor passes and moves the anchor forward. A chunk outside it is rejected as {@code CLOCK_OUT_OF_RANGE} and does
 * not move the anchor, so one wild timestamp cannot drag the session's clock away.
 * <p>A legitimate forward jump must still be followed: a client that resumed after a long network outage or a
 * laptop sleep, a capture clock that restarted on the wall clock. Without re-anchoring, every later chunk of that
 * session would be rejected for good. So a <b>sustained, consistent forward jump</b> re-anchors the session: when
 * {@link MediaValidationConfig#clockReanchorChunks() n} (25) chunks of the session in a row are each
 * <ul>
 *   <li>ahead of the window ({@code capture > anchor + window}),</li>
 *   <li>at or after the first chunk of that run (the new timeline moves forward; chunks of different kinds may
 *       interleave slightly out of order), and</li>
 *   <li>at most one window after the newest chunk of the run (no second leap),</li>
 * </ul>
 * the {@code n}-th chunk passes and the anchor becomes the newest capture time of the run. The first {@code n - 1}
 * chunks of the jump are rejected and counted like any out-of-range chunk (20 ms each for audio: about half a
 * second at the default). Any other chunk breaks the run: one inside the window (the old timeline is still alive,
 * e.g. stragglers of another track) passes as usual, and one behind the window is rejected; a forward chunk that
 * does not continue the run starts a new run. Random far-future garbage therefore never re-anchors (its chunks are
 * not consistent), a lone outlier is rejected, and the clock never re-anchors backwards (the aligner downstream keeps
 * per-session state and would take a step back as late data). After a re-anchor, stragglers of the old timeline are
 * behind the window and rejected; the aligner would have dropped them as late anyway. Re-anchors are counted in
 * {@code omni.validation.clockReanchors}; the run in progress is kept in keyed state ({@code clockJump}, same TTL),
 * so it survives checkpoints, restores and rescaling.
 * <p>The edge's own session resume does not need this: it continues the clock only a few seconds ahead (see the
 * {@code io.omnistream.connectors.edge} package documentation). {@code SessionControl} is not an input of this
 * operator, so a resume announcement cannot re-anchor it; the chunks themselves must agree.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<MediaChunk> audio = env
 *     .fromSource(KafkaSources.media(servers, OmniTopics.MEDIA_AUDIO, cfg), watermarks, "audio")
 *     .keyBy(MediaValidationFunction.sessionKey())
 *     .process(new MediaValidationFunction(validationConfig), new AvroTypeInfo<>(MediaChunk.class));
 * audio.getSideOutput(DeadLetterSplitter.DEAD_LETTERS).sinkTo(KafkaSinks.deadLetters(servers, cfg));
 * }</pre>
 */
public class MediaValidationFunction extends KeyedProcessFunction<String, Decoded<MediaChunk>, MediaChunk> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MediaValidationFunction.class);

    /** Key of dead letters (they have no session). */
    public static final String NO_SESSION = "";

    /** Metric group and counter of re-anchors: {@code <operator>.omni.validation.clockReanchors}. */
    public static final String METRIC_GROUP = "validation";
    public static final String REANCHOR_COUNTER = "clockReanchors";

    /**
     * A forward clock jump in progress for one session: the first and the newest capture time of the run of
     * consecutive chunks beyond the window, and how many chunks it has. A Flink POJO, so the state can evolve.
     */
    public static final class ClockJump {
        public long firstMicros;
        public long newestMicros;
        public int chunks;

        public ClockJump() {}

        ClockJump(long captureMicros) {
            this.firstMicros = captureMicros;
            this.newestMicros = captureMicros;
            this.chunks = 1;
        }
    }

    private final MediaChunkValidator validator;
    private final AvroCodec<MediaChunk> codec = AvroCodec.of(MediaChunk.class);

    private transient ValueState<Long> latestCaptureMicros;
    private transient ValueState<ClockJump> clockJump;
    private transient DeadLetterCounters counters;
    private transient Counter reanchors;

    public MediaValidationFunction(MediaValidationConfig config) {
        this.validator = new MediaChunkValidator(Objects.requireNonNull(config));
    }

    /** Session id of a decoded chunk; {@link #NO_SESSION} for a dead letter. */
    public static KeySelector<Decoded<MediaChunk>, String> sessionKey() {
        return d -> d.isOk() && d.getValue().getSessionId() != null ? d.getValue().getSessionId() : NO_SESSION;
    }

    @Override
    public void open(OpenContext openContext) {
        StateTtlConfig ttl = StateTtlConfig.newBuilder(validator.config().sessionStateTtl())
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
        ValueStateDescriptor<Long> latest = new ValueStateDescriptor<>("latestCaptureMicros", Types.LONG);
        latest.enableTimeToLive(ttl);
        latestCaptureMicros = getRuntimeContext().getState(latest);
        ValueStateDescriptor<ClockJump> jump = new ValueStateDescriptor<>("clockJump", Types.POJO(ClockJump.class));
        jump.enableTimeToLive(ttl);
        clockJump = getRuntimeContext().getState(jump);
        counters = new DeadLetterCounters(getRuntimeContext().getMetricGroup());
        reanchors = getRuntimeContext().getMetricGroup().addGroup(DeadLetterCounters.GROUP).addGroup(METRIC_GROUP)
                .counter(REANCHOR_COUNTER);
    }

    @Override
    public void processElement(Decoded<MediaChunk> in, Context ctx, Collector<MediaChunk> out) throws Exception {
        if (!in.isOk()) {
            counters.count(in.getDeadLetter().getReason());
            ctx.output(DeadLetterSplitter.DEAD_LETTERS, in.getDeadLetter());
            return;
        }
        MediaChunk chunk = in.getValue();
        Optional<Violation> violation = validator.validate(chunk, in.getSourceTopic());
        if (violation.isPresent()) {
            reject(in, chunk, violation.get(), ctx);
            return;
        }
        Long anchor = latestCaptureMicros.value();
        long capture = chunk.getCaptureTimeMicros();
        Optional<Violation> clock = validator.checkClock(chunk, anchor);
        if (clock.isEmpty()) {
            if (clockJump.value() != null) {
                clockJump.clear(); // the session's current timeline is alive: no jump in progress
            }
            if (anchor == null || capture > anchor) {
                latestCaptureMicros.update(capture);
            }
            out.collect(chunk);
            return;
        }
        if (anchor == null || capture < anchor) { // behind the window: never re-anchored, and it breaks a run
            clockJump.clear();
            reject(in, chunk, clock.get(), ctx);
            return;
        }
        ClockJump run = clockJump.value();
        long window = validator.config().clockWindowMicros();
        if (run != null && capture >= run.firstMicros && capture - run.newestMicros <= window) {
            run.chunks++;
            run.newestMicros = Math.max(run.newestMicros, capture);
        } else {
            run = new ClockJump(capture);
        }
        int needed = validator.config().clockReanchorChunks();
        if (run.chunks >= needed) {
            clockJump.clear();
            latestCaptureMicros.update(run.newestMicros);
            reanchors.inc();
            LOG.info("session {}: media clock re-anchored from {} µs to {} µs after {} consistent chunks",
                    chunk.getSessionId(), anchor, run.newestMicros, run.chunks);
            out.collect(chunk);
            return;
        }
        clockJump.update(run);
        reject(in, chunk, new Violation(DeadLetterReason.CLOCK_OUT_OF_RANGE, clock.get().detail()
                + "; forward jump " + run.chunks + "/" + needed + " (re-anchors after " + needed
                + " consistent chunks)"), ctx);
    }

    private void reject(Decoded<MediaChunk> in, MediaChunk chunk, Violation v, Context ctx) {
        counters.count(v.reason());
        byte[] key = chunk.getSessionId() == null ? null : chunk.getSessionId().getBytes(StandardCharsets.UTF_8);
        ctx.output(DeadLetterSplitter.DEAD_LETTERS, DeadLetters.of(in.getSourceTopic(), in.getPartition(),
                in.getOffset(), key, codec.encode(chunk), v.reason(), v.detail()));
    }

    /** Re-anchors so far in this parallel instance (the {@value #REANCHOR_COUNTER} metric); for tests. */
    long clockReanchors() {
        return reanchors == null ? 0 : reanchors.getCount();
    }
}
