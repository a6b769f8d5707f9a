package io.omnistream.connectors.kafka.validation;

import io.omnistream.connectors.kafka.dlq.DeadLetterCounters;
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
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The gate between the media topics and the session pipeline: lets valid {@link MediaChunk}s through and sends
 * everything else (records that could not be decoded, and chunks breaking a {@link MediaChunkValidator} rule) to the
 * {@link DeadLetterSplitter#DEAD_LETTERS} side output, counted per reason. Keyed by session id
 * ({@link #sessionKey()}) because the clock rule compares each chunk with the latest capture time accepted for its
 * session; that state expires after {@link MediaValidationConfig#sessionStateTtl()} without updates.
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

    /** Key of dead letters (they have no session). */
    public static final String NO_SESSION = "";

    private final MediaChunkValidator validator;
    private final AvroCodec<MediaChunk> codec = AvroCodec.of(MediaChunk.class);

    private transient ValueState<Long> latestCaptureMicros;
    private transient DeadLetterCounters counters;

    public MediaValidationFunction(MediaValidationConfig config) {
        this.validator = new MediaChunkValidator(Objects.requireNonNull(config));
    }

    /** Session id of a decoded chunk; {@link #NO_SESSION} for a dead letter. */
    public static KeySelector<Decoded<MediaChunk>, String> sessionKey() {
        return d -> d.isOk() && d.getValue().getSessionId() != null ? d.getValue().getSessionId() : NO_SESSION;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Long> descriptor = new ValueStateDescriptor<>("latestCaptureMicros", Types.LONG);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(validator.config().sessionStateTtl())
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        latestCaptureMicros = getRuntimeContext().getState(descriptor);
        counters = new DeadLetterCounters(getRuntimeContext().getMetricGroup());
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
        if (violation.isEmpty()) {
            violation = validator.checkClock(chunk, latestCaptureMicros.value());
        }
        if (violation.isPresent()) {
            Violation v = violation.get();
            counters.count(v.reason());
            byte[] key = chunk.getSessionId() == null ? null : chunk.getSessionId().getBytes(StandardCharsets.UTF_8);
            ctx.output(DeadLetterSplitter.DEAD_LETTERS, DeadLetters.of(in.getSourceTopic(), in.getPartition(),
                    in.getOffset(), key, codec.encode(chunk), v.reason(), v.detail()));
            return;
        }
        Long latest = latestCaptureMicros.value();
        if (latest == null || chunk.getCaptureTimeMicros() > latest) {
            latestCaptureMicros.update(chunk.getCaptureTimeMicros());
        }
        out.collect(chunk);
    }
}
