package io.omnistream.connectors.testutils;

import io.omnistream.connectors.kafka.EmbeddedKafkaBroker;
import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real embedded Kafka broker for one test class, with helpers to produce Avro records and to consume a number of
 * records with a timeout. Shared with other modules through the connectors test-jar.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaTestSupport KAFKA = KafkaTestSupport.withOmniTopics(1);
 *
 * KAFKA.produce(OmniTopics.MEDIA_AUDIO, chunks, MediaChunk::getSessionId);
 * List<OmniEvent> events = KAFKA.consume(OmniTopics.EVENTS, OmniEvent.class, 3, Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Outside JUnit, call {@link #start()} and {@link #close()}.
 */
public final class KafkaTestSupport implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    private final int omniTopicPartitions;
    private EmbeddedKafkaBroker broker;
    private KafkaProducer<byte[], byte[]> producer;

    private KafkaTestSupport(int omniTopicPartitions) {
        this.omniTopicPartitions = omniTopicPartitions;
    }

    /** A broker without pre-created topics (topics are auto-created with 1 partition on first use). */
    public static KafkaTestSupport create() {
        return new KafkaTestSupport(0);
    }

    /** A broker on which all {@link OmniTopics#ALL} exist with the given number of partitions. */
    public static KafkaTestSupport withOmniTopics(int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1");
        }
        return new KafkaTestSupport(partitions);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** Starts the broker (and creates the topics if asked); idempotent. */
    public synchronized KafkaTestSupport start() {
        if (broker == null) {
            broker = EmbeddedKafkaBroker.startDefault();
            if (omniTopicPartitions > 0) {
                OmniTopics.createAll(broker.bootstrapServers(), omniTopicPartitions);
            }
        }
        return this;
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
            producer = null;
        }
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    public synchronized EmbeddedKafkaBroker broker() {
        if (broker == null) {
            throw new IllegalStateException("KafkaTestSupport not started");
        }
        return broker;
    }

    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** Creates topics (idempotent). */
    public void createTopics(int partitions, String... topics) {
        OmniTopics.create(bootstrapServers(), List.of(topics), partitions, (short) 1);
    }

    /** Produces Avro records keyed by {@code sessionId(record)}, waiting until each is acknowledged. */
    @SuppressWarnings("unchecked")
    public <T extends SpecificRecordBase> void produce(String topic, List<T> records, Function<T, String> sessionId) {
        if (records.isEmpty()) {
            return;
        }
        AvroCodec<T> codec = AvroCodec.of((Class<T>) records.get(0).getClass());
        for (T r : records) {
            String key = sessionId.apply(r);
            produceRaw(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), codec.encode(r));
        }
    }

    /** Produces raw bytes (e.g. malformed records), waiting until acknowledged. */
    public synchronized void produceRaw(String topic, byte[] key, byte[] value) {
        try {
            producer().send(new ProducerRecord<>(topic, key, value)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Could not produce to " + topic, e.getCause());
        }
    }

    /**
     * Reads exactly {@code n} Avro records from the beginning of {@code topic} (read_committed), or fails when
     * fewer arrive within {@code timeout}.
     */
    public <T extends SpecificRecordBase> List<T> consume(String topic, Class<T> type, int n, Duration timeout) {
        AvroCodec<T> codec = AvroCodec.of(type);
        List<T> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : consumeRecords(topic, n, timeout)) {
            out.add(codec.decode(r.value()));
        }
        return out;
    }

    /** Like {@link #consume} but returns the raw records. */
    public List<ConsumerRecord<byte[], byte[]>> consumeRecords(String topic, int n, Duration timeout) {
        Properties p = OmniKafkaProperties.lowLatencyConsumer(bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    out.add(r);
                }
            }
        }
        if (out.size() < n) {
            throw new AssertionError("Expected " + n + " records on " + topic + " within " + timeout + " but got "
                    + out.size());
        }
        return out.subList(0, n);
    }

    private KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            Properties p = OmniKafkaProperties.lowLatencyProducer(bootstrapServers());
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            producer = new KafkaProducer<>(p);
        }
        return producer;
    }
}
