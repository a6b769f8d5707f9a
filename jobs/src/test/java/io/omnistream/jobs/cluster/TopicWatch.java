package io.omnistream.jobs.cluster;

import io.omnistream.connectors.kafka.serde.AvroCodec;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Decodes one topic from the beginning in the background, as a downstream consumer would ({@code read_committed}
 * for the exactly-once topics, {@code read_uncommitted} to see everything an at-least-once sink wrote, replays
 * included), noting when each record arrived.
 */
final class TopicWatch<T extends SpecificRecordBase> implements AutoCloseable {
    /** A decoded record and the wall-clock time (ms) this consumer received it. */
    record Seen<T>(T value, long receivedAtMillis) {}

    private final List<Seen<T>> records = new CopyOnWriteArrayList<>();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    TopicWatch(String bootstrap, String topic, Class<T> type, boolean committedOnly) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "watch-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, committedOnly ? "read_committed" : "read_uncommitted");
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        AvroCodec<T> codec = AvroCodec.of(type);
        consumer.subscribe(List.of(topic));
        thread = new Thread(() -> {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    records.add(new Seen<>(codec.decode(r.value()), System.currentTimeMillis()));
                }
            }
            consumer.close();
        }, "watch-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    List<Seen<T>> seen() {
        return List.copyOf(records);
    }

    /** The values whose {@code key} (e.g. the session id) equals {@code sid}. */
    List<T> of(String sid, java.util.function.Function<T, CharSequence> key) {
        return records.stream().map(Seen::value).filter(r -> sid.contentEquals(key.apply(r))).toList();
    }

    List<T> values() {
        return records.stream().map(Seen::value).toList();
    }

    /** The first record matching {@code p}, or null. */
    Seen<T> first(Predicate<T> p) {
        for (Seen<T> s : records) {
            if (p.test(s.value())) {
                return s;
            }
        }
        return null;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
