package io.omnistream.jobs.cluster;

import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroCodec;
import io.omnistream.operators.testutils.MediaChunks;
import io.omnistream.schemas.MediaChunk;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Live sessions as the edge publishes them: every 20 ms one audio chunk per session to {@code omni.media.audio},
 * paced by the wall clock, each session's media clock starting on a whole second. Keeps going through broker
 * outages (the producer buffers and retries), so fault tests can break things while sessions are in flight.
 */
final class SessionFeeder implements AutoCloseable {
    private static final AvroCodec<MediaChunk> CODEC = AvroCodec.of(MediaChunk.class);
    final int sessions;
    final long originMicros;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile long chunksPerSession;
    private volatile Throwable failure;

    SessionFeeder(String bootstrap, int sessions) {
        this.sessions = sessions;
        this.originMicros = (System.currentTimeMillis() / 1000 + 1) * 1_000_000L;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // ordered retries without idempotence: a fresh broker hands out producer ids only after a delay that
        // stalled the first sends for tens of seconds in this setup
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 180_000);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.thread = new Thread(this::feed, "session-feeder");
        thread.setDaemon(true);
    }

    static String sessionId(int s) {
        return String.format("cluster-session-%03d", s);
    }

    SessionFeeder start() {
        thread.start();
        return this;
    }

    private void feed() {
        try {
            feedUntilStopped();
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** A chunk the broker never took would be a gap the job cannot explain: fail the test with its cause. */
    private void sent(RecordMetadata metadata, Exception e) {
        if (e != null && failure == null) {
            failure = e;
        }
    }

    /** Throws if the feeding thread died or a chunk was not delivered, so a test fails with the cause instead of waiting for frames. */
    void checkAlive() {
        if (failure != null) {
            throw new IllegalStateException("session feeder failed", failure);
        }
    }

    private void feedUntilStopped() {
        long seq = 0;
        long startNanos = System.nanoTime();
        while (running.get()) {
            long due = startNanos + seq * 20_000_000L;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
            long arrival = System.currentTimeMillis() * 1000;
            for (int s = 0; s < sessions; s++) {
                MediaChunk chunk = MediaChunks.audio(sessionId(s), s, originMicros, seq, arrival);
                producer.send(new ProducerRecord<>(OmniTopics.MEDIA_AUDIO,
                        sessionId(s).getBytes(StandardCharsets.UTF_8), CODEC.encode(chunk)), this::sent);
            }
            seq++;
            chunksPerSession = seq;
        }
    }

    /** Stops after a whole number of 40 ms ticks; returns the chunks sent per session. */
    long stop() throws InterruptedException {
        running.set(false);
        thread.join();
        checkAlive();
        // complete the last tick so every tick of every session is whole
        long seq = chunksPerSession;
        if (seq % 2 == 1) {
            long arrival = System.currentTimeMillis() * 1000;
            for (int s = 0; s < sessions; s++) {
                producer.send(new ProducerRecord<>(OmniTopics.MEDIA_AUDIO, sessionId(s).getBytes(StandardCharsets.UTF_8),
                        CODEC.encode(MediaChunks.audio(sessionId(s), s, originMicros, seq, arrival))), this::sent);
            }
            seq++;
        }
        producer.flush();
        checkAlive();
        chunksPerSession = seq;
        return seq;
    }

    long chunksPerSession() {
        return chunksPerSession;
    }

    Map<String, Long> expectedTicks() {
        Map<String, Long> m = new TreeMap<>();
        for (int s = 0; s < sessions; s++) {
            m.put(sessionId(s), chunksPerSession / 2);
        }
        return m;
    }

    @Override
    public void close() {
        running.set(false);
        producer.close();
    }
}
