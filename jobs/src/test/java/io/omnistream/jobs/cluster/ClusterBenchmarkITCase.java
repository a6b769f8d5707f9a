package io.omnistream.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroCodec;
import io.omnistream.operators.testutils.MediaChunks;
import io.omnistream.schemas.MediaChunk;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Figures for load-tests/RESULTS.md on the local multi-process cluster (two TaskManagers with one slot each):
 * alignment throughput over a Kafka backlog with 1 and with 2 TaskManagers, and checkpoint duration and size with
 * 100 live sessions for the hashmap and RocksDB state backends. Profile {@code -Pcluster-bench}.
 */
@Tag("cluster-benchmark")
class ClusterBenchmarkITCase {
    private static final int SESSIONS = 100;
    private static final int BACKLOG_SECONDS = 15;
    private static ClusterFixture fixture;

    @BeforeAll
    static void startCluster() throws Exception {
        fixture = new ClusterFixture("bench", 2, 1).start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void measuresThroughputWithOneAndTwoTaskManagersAndCheckpointsOfHundredSessions() throws Exception {
        LocalFlinkCluster cluster = fixture.cluster;
        String bootstrap = cluster.kafkaBootstrap();
        long chunks = produceBacklog(bootstrap);
        long frames = chunks / 2;
        for (int p = 1; p <= 2; p++) {
            String topic = "bench.frames.p" + p;
            String job = submit(p, topic, "hashmap", "60000", "EARLIEST");
            fixture.awaitRunning(job, Duration.ofSeconds(90));
            long start = System.nanoTime();
            awaitEndOffsets(bootstrap, topic, frames, Duration.ofMinutes(5));
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("RESULT throughput: taskmanagers=%d parallelism=%d chunks=%d frames=%d in %.1f s = %.0f chunks/s (%.0f sessions real-time)%n",
                    p, p, chunks, frames, seconds, chunks / seconds, chunks / seconds / 50);
            cluster.rest().cancel(job);
            awaitSlotsFree(2);
        }

        for (String backend : List.of("hashmap", "rocksdb")) {
            String job = submit(2, "bench.frames.live." + backend, backend, "2000", "LATEST");
            fixture.awaitRunning(job, Duration.ofSeconds(90));
            try (SessionFeeder feeder = new SessionFeeder(bootstrap, SESSIONS).start()) {
                Thread.sleep(25_000);
                feeder.stop();
            }
            JsonNode cp = cluster.rest().checkpoints(job);
            JsonNode summary = cp.path("summary");
            JsonNode latest = cp.path("latest").path("completed");
            System.out.printf("RESULT checkpoints: backend=%s sessions=%d completed=%d duration avg=%s max=%s ms, "
                            + "checkpointed size avg=%s max=%s B, latest state size=%s B%n",
                    backend, SESSIONS, cp.path("counts").path("completed").asInt(),
                    summary.path("end_to_end_duration").path("avg").asText(), summary.path("end_to_end_duration").path("max").asText(),
                    summary.path("checkpointed_size").path("avg").asText(), summary.path("checkpointed_size").path("max").asText(),
                    latest.path("state_size").asText());
            assertThat(cp.path("counts").path("completed").asInt()).isPositive();
            cluster.rest().cancel(job);
            awaitSlotsFree(2);
        }
    }

    private String submit(int parallelism, String framesTopic, String backend, String checkpointMillis, String offsets)
            throws Exception {
        FlinkRestClient rest = fixture.cluster.rest();
        List<String> args = new ArrayList<>(List.of("--kafka-bootstrap", fixture.cluster.kafkaBootstrap(),
                "--parallelism", Integer.toString(parallelism), "--checkpoint-interval-ms", checkpointMillis,
                "--state-backend", backend, "--start-offsets", offsets, "--frames-topic", framesTopic,
                "--idleness-ms", ClusterFixture.IDLENESS_MILLIS));
        Path jar = JobJars.thinJar(fixture.cluster.config().runDir.resolve("omnistream-jobs-thin.jar"));
        return rest.runJar(rest.uploadJar(jar), JobJars.MAIN_CLASS, args, parallelism, null, false);
    }

    private long produceBacklog(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        AvroCodec<MediaChunk> codec = AvroCodec.of(MediaChunk.class);
        long origin = (System.currentTimeMillis() / 1000) * 1_000_000L;
        long n = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long seq = 0; seq < BACKLOG_SECONDS * 50L; seq++) {
                for (int s = 0; s < SESSIONS; s++) {
                    String id = SessionFeeder.sessionId(s);
                    producer.send(new ProducerRecord<>(OmniTopics.MEDIA_AUDIO, id.getBytes(StandardCharsets.UTF_8),
                            codec.encode(MediaChunks.audio(id, s, origin, seq, origin + seq * 20_000))));
                    n++;
                }
            }
        }
        return n;
    }

    private static void awaitEndOffsets(String bootstrap, String topic, long n, Duration timeout) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            long deadline = System.nanoTime() + timeout.toNanos();
            long sum = 0;
            while (System.nanoTime() < deadline) {
                var infos = c.partitionsFor(topic);
                if (infos != null && !infos.isEmpty()) {
                    List<TopicPartition> tps = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
                    sum = c.endOffsets(tps).values().stream().mapToLong(Long::longValue).sum();
                    if (sum >= n) {
                        return;
                    }
                }
                Thread.sleep(100);
            }
            throw new AssertionError(topic + ": " + sum + " of " + n + " frames after " + timeout);
        }
    }

    private static void awaitSlotsFree(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (fixture.cluster.rest().overview().path("slots-available").asInt() >= n) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("slots not released");
    }
}
