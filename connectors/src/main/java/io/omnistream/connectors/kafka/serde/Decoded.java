package io.omnistream.connectors.kafka.serde;

import io.omnistream.schemas.DeadLetter;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * The outcome of reading one Kafka record: either the decoded value or a {@link DeadLetter} saying why it could not
 * be used, plus where the record came from. It exists so that a bad record travels through the job as data (to be
 * counted and written to {@code omni.dlq}) instead of as an exception that would fail the job.
 *
 * <p>A Flink POJO; use {@link #typeInfo(Class)} for its type information (Avro serializers for the records).
 */
public class Decoded<T> {

    private T value;
    private DeadLetter deadLetter;
    private String sourceTopic;
    private int partition = -1;
    private long offset = -1;

    /** For Flink's POJO serializer. */
    public Decoded() {}

    /** A successfully decoded record. */
    public static <T> Decoded<T> ok(T value, String sourceTopic, int partition, long offset) {
        Decoded<T> d = new Decoded<>();
        d.value = Objects.requireNonNull(value);
        d.sourceTopic = sourceTopic;
        d.partition = partition;
        d.offset = offset;
        return d;
    }

    /** A successfully decoded record without source position (tests, generated input). */
    public static <T> Decoded<T> ok(T value) {
        return ok(value, "", -1, -1);
    }

    /** A record that cannot be used. */
    public static <T> Decoded<T> dead(DeadLetter deadLetter) {
        Decoded<T> d = new Decoded<>();
        d.deadLetter = Objects.requireNonNull(deadLetter);
        d.sourceTopic = deadLetter.getSourceTopic();
        d.partition = deadLetter.getPartition();
        d.offset = deadLetter.getOffset();
        return d;
    }

    /** Flink type information with Avro serializers for {@code T} and the dead letter. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <T extends SpecificRecordBase> TypeInformation<Decoded<T>> typeInfo(Class<T> valueType) {
        Map<String, TypeInformation<?>> fields = Map.of(
                "value", new AvroTypeInfo<>(valueType),
                "deadLetter", new AvroTypeInfo<>(DeadLetter.class),
                "sourceTopic", BasicTypeInfo.STRING_TYPE_INFO,
                "partition", BasicTypeInfo.INT_TYPE_INFO,
                "offset", BasicTypeInfo.LONG_TYPE_INFO);
        return (TypeInformation) Types.POJO(Decoded.class, fields);
    }

    public boolean isOk() {
        return value != null;
    }

    /** The decoded value; null for a dead letter. */
    public T getValue() {
        return value;
    }

    public void setValue(T value) {
        this.value = value;
    }

    /** Why the record cannot be used; null when {@link #isOk()}. */
    public DeadLetter getDeadLetter() {
        return deadLetter;
    }

    public void setDeadLetter(DeadLetter deadLetter) {
        this.deadLetter = deadLetter;
    }

    public String getSourceTopic() {
        return sourceTopic;
    }

    public void setSourceTopic(String sourceTopic) {
        this.sourceTopic = sourceTopic;
    }

    public int getPartition() {
        return partition;
    }

    public void setPartition(int partition) {
        this.partition = partition;
    }

    public long getOffset() {
        return offset;
    }

    public void setOffset(long offset) {
        this.offset = offset;
    }

    @Override
    public String toString() {
        return isOk() ? "Decoded[" + value + "]" : "Decoded[dead: " + (deadLetter == null ? "?" : deadLetter.getReason())
                + "]";
    }
}
