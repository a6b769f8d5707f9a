package io.omnistream.connectors.kafka.dlq;

import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.schemas.DeadLetter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Splits {@link Decoded} records into the good stream (the values) and the {@link #DEAD_LETTERS} side output, counting
 * each dead letter by reason ({@link DeadLetterCounters}). This is how every Kafka source of a job turns bad input
 * into data for {@code omni.dlq} instead of a failure.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<SessionControl> control = env
 *     .fromSource(KafkaSources.control(servers, config), WatermarkStrategy.noWatermarks(), "control")
 *     .process(new DeadLetterSplitter<>(), new AvroTypeInfo<>(SessionControl.class));
 * DataStream<DeadLetter> dlq = control.getSideOutput(DeadLetterSplitter.DEAD_LETTERS);
 * }</pre>
 */
public class DeadLetterSplitter<T> extends ProcessFunction<Decoded<T>, T> {

    private static final long serialVersionUID = 1L;

    /** Side output of every operator in this package that rejects records. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("omni-dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    private transient DeadLetterCounters counters;

    @Override
    public void open(OpenContext openContext) {
        counters = new DeadLetterCounters(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(Decoded<T> in, Context ctx, Collector<T> out) {
        if (in.isOk()) {
            out.collect(in.getValue());
        } else {
            counters.count(in.getDeadLetter().getReason());
            ctx.output(DEAD_LETTERS, in.getDeadLetter());
        }
    }
}
