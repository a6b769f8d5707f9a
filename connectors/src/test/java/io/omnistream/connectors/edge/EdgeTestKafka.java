package io.omnistream.connectors.edge;

import io.omnistream.connectors.kafka.EmbeddedKafkaBroker;
import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.SessionControl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One real KRaft broker shared by the edge test classes of a JVM (starting one costs seconds on a busy CI core),
 * plus a collector that reads everything the edge publishes and a producer for the return path.
 */
final class EdgeTestKafka {
    private static EmbeddedKafkaBroker broker;

    private EdgeTestKafka() {}

    static synchronized String bootstrap() {
        if (broker == null) {
            broker = EmbeddedKafkaBroker.builder().build().start();
            OmniTopics.createAll(broker.bootstrapServers(), 2);
            EmbeddedKafkaBroker b = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(b::close, "edge-test-broker-stop"));
        }
        return broker.bootstrapServers();
    }

    static KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(OmniKafkaProperties.lowLatencyProducer(bootstrap()), new StringSerializer(),
                new ByteArraySerializer());
    }

    static void sendAgent(KafkaProducer<String, byte[]> p, AgentResponse r) {
        p.send(new ProducerRecord<>(OmniTopics.AGENT, r.getSessionId(),
                new AvroBinary<AgentResponse>(AgentResponse.getClassSchema()).encode(r)));
        p.flush();
    }

    static void sendEvent(KafkaProducer<String, byte[]> p, OmniEvent e) {
        p.send(new ProducerRecord<>(OmniTopics.EVENTS, e.getSessionId(),
                new AvroBinary<OmniEvent>(OmniEvent.getClassSchema()).encode(e)));
        p.flush();
    }

    /** Reads media and control topics from their current end on a background thread. */
    static final class Collector implements AutoCloseable {
        final List<MediaChunk> media = new CopyOnWriteArrayList<>();
        final List<SessionControl> control = new CopyOnWriteArrayList<>();
        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private final AvroBinary<MediaChunk> mc = new AvroBinary<>(MediaChunk.getClassSchema());
        private final AvroBinary<SessionControl> sc = new AvroBinary<>(SessionControl.getClassSchema());
        private volatile boolean running = true;
        volatile long bytes;

        Collector() {
            Properties p = OmniKafkaProperties.lowLatencyConsumer(bootstrap());
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> tps = new ArrayList<>();
            for (String t : List.of(OmniTopics.MEDIA_AUDIO, OmniTopics.MEDIA_VIDEO, OmniTopics.MEDIA_SCREEN,
                    OmniTopics.CONTROL)) {
                for (PartitionInfo i : consumer.partitionsFor(t, Duration.ofSeconds(30))) {
                    tps.add(new TopicPartition(t, i.partition()));
                }
            }
            consumer.assign(tps);
            consumer.seekToEnd(tps);
            tps.forEach(consumer::position);
            thread = new Thread(this::run, "edge-test-collector");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        bytes += r.value().length + (r.key() == null ? 0 : r.key().length());
                        try {
                            if (r.topic().equals(OmniTopics.CONTROL)) {
                                control.add(sc.decode(r.value()));
                            } else {
                                media.add(mc.decode(r.value()));
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close();
            }
        }

        List<MediaChunk> media(String sessionId, io.omnistream.schemas.MediaKind kind) {
            return media.stream().filter(m -> m.getSessionId().equals(sessionId) && m.getKind() == kind).toList();
        }

        List<SessionControl> control(String sessionId) {
            return control.stream().filter(c -> c.getSessionId().equals(sessionId)).toList();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(5000);
        }
    }
}
