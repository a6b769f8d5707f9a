package io.omnistream.connectors.edge;

import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.OmniEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings {@code omni.events} and {@code omni.agent} back to the sessions this edge hosts. One consumer per edge,
 * without a consumer group: it is assigned every partition of both topics, starts at their end (an edge only cares
 * about what happens while its sessions live) and drops records whose key (sessionId) it does not host before
 * decoding them. See {@code package-info.java} for why this design and when to change it.
 */
final class ReturnPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReturnPath.class);
    private static final Duration REFRESH = Duration.ofSeconds(10);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Function<String, EdgeSession> sessions;
    private final EdgeMetrics metrics;
    private final AvroBinary<OmniEvent> events = new AvroBinary<>(OmniEvent.getClassSchema());
    private final AvroBinary<AgentResponse> agent = new AvroBinary<>(AgentResponse.getClassSchema());
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean assigned;

    ReturnPath(String bootstrapServers, String edgeId, Function<String, EdgeSession> sessions, EdgeMetrics metrics) {
        Properties p = OmniKafkaProperties.lowLatencyConsumer(bootstrapServers);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "omni-edge-return-" + edgeId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.sessions = sessions;
        this.metrics = metrics;
        this.thread = new Thread(this::run, "omni-edge-return-" + edgeId);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** True once the consumer holds at least one partition of each topic (tests wait for it). */
    boolean isAssigned() {
        return assigned;
    }

    private void refreshAssignment() {
        Set<TopicPartition> want = new HashSet<>();
        for (String topic : List.of(OmniTopics.EVENTS, OmniTopics.AGENT)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (infos != null) {
                infos.forEach(i -> want.add(new TopicPartition(i.topic(), i.partition())));
            }
        }
        Set<TopicPartition> have = consumer.assignment();
        if (!want.equals(have) && !want.isEmpty()) {
            List<TopicPartition> added = new ArrayList<>(want);
            added.removeAll(have);
            consumer.assign(want);
            if (!added.isEmpty()) {
                consumer.seekToEnd(added);
                added.forEach(consumer::position); // resolve now, so records sent after this are all seen
            }
        }
        assigned = want.stream().anyMatch(tp -> tp.topic().equals(OmniTopics.EVENTS))
                && want.stream().anyMatch(tp -> tp.topic().equals(OmniTopics.AGENT));
    }

    private void run() {
        long nextRefresh = 0;
        try {
            while (running) {
                long now = System.nanoTime();
                if (now >= nextRefresh) {
                    try {
                        refreshAssignment();
                    } catch (WakeupException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        LOG.warn("return path: cannot read partitions yet: {}", e.toString());
                    }
                    nextRefresh = now + (assigned ? REFRESH.toNanos() : Duration.ofMillis(500).toNanos());
                }
                if (consumer.assignment().isEmpty()) {
                    Thread.sleep(100);
                    continue;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    dispatch(r);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        EdgeSession s = sessions.apply(r.key());
        if (s == null) {
            return;
        }
        try {
            if (r.topic().equals(OmniTopics.AGENT)) {
                s.deliverAgent(agent.decode(r.value()));
            } else {
                s.deliverEvent(events.decode(r.value()));
            }
        } catch (Exception e) {
            metrics.returnPathDecodeErrors.increment();
            LOG.warn("undecodable record on {} for session {}: {}", r.topic(), r.key(), e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
