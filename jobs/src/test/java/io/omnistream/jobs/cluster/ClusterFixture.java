package io.omnistream.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A local multi-process cluster for one test: its own run directory under target/, free ports, a Kafka broker
 * process, and the thin job jar submitted over REST with {@link ClusterJob}'s arguments.
 */
final class ClusterFixture implements AutoCloseable {
    static final String FRAMES = "omni.test.cluster.frames";
    static final String IDLENESS_MILLIS = "5000";

    final LocalFlinkCluster cluster;
    private Path jar;

    ClusterFixture(String name, int taskManagers, int slots) {
        ClusterConfig c = new ClusterConfig();
        c.runDir = Path.of(System.getProperty("omni.project.root", "..") , "jobs", "target", "cluster-" + name);
        c.taskManagers = taskManagers;
        c.slotsPerTaskManager = slots;
        c.restPort = 0;
        c.rpcPort = 0;
        c.kafkaPort = 0;
        c.kafkaControllerPort = 0;
        c.partitions = 4;
        c.taskManagerMemoryMb = 1536; // the perception operators load ONNX models
        c.kafkaHeapMb = 512;
        c.jobManagerMemoryMb = 768;
        c.startEdge = false; // the fault tests feed Kafka directly
        cluster = new LocalFlinkCluster(c, LocalFlinkCluster.projectClasspath());
    }

    ClusterFixture start() throws Exception {
        deleteTree(cluster.config().runDir);
        cluster.start();
        jar = JobJars.thinJar(cluster.config().runDir.resolve("omnistream-jobs-thin.jar"));
        return this;
    }

    /** Submits the session pipeline with exactly-once frames; returns the job id. */
    String submit(int parallelism, String savepoint, String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--kafka-bootstrap", cluster.kafkaBootstrap(),
                "--parallelism", Integer.toString(parallelism), "--checkpoint-interval-ms", "1000",
                "--start-offsets", "EARLIEST", "--frames-topic", FRAMES, "--frames-exactly-once",
                "--analytics-exactly-once", "--transaction-timeout-ms", "60000",
                // With the aligner's default 1 s, a partition whose records come late while the job catches up on a
                // backlog (after a restore) is marked idle, the watermark overtakes it and a tick is emitted without
                // its second audio chunk (LATE_CHUNK in omni.dlq). Seen in the rescale test; see deploy/README.md.
                "--idleness-ms", IDLENESS_MILLIS));
        args.addAll(List.of(extraArgs));
        FlinkRestClient rest = cluster.rest();
        return rest.runJar(rest.uploadJar(jar), JobJars.MAIN_CLASS, args, parallelism, savepoint, false);
    }

    /** Waits until every task of the job is RUNNING. */
    void awaitRunning(String jobId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            JsonNode job = cluster.rest().job(jobId);
            last = job.path("state").asText();
            boolean allRunning = "RUNNING".equals(last);
            for (JsonNode v : job.path("vertices")) {
                allRunning &= "RUNNING".equals(v.path("status").asText());
            }
            if (allRunning) {
                return;
            }
            if ("FAILED".equals(last) || "CANCELED".equals(last)) {
                break;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job " + jobId + " not running within " + timeout + " (state " + last + "); logs in "
                + cluster.logDir());
    }

    /** Waits until the job has completed at least {@code n} checkpoints. */
    JsonNode awaitCheckpoints(String jobId, int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode cp = null;
        while (System.nanoTime() < deadline) {
            cp = cluster.rest().checkpoints(jobId);
            if (cp.path("counts").path("completed").asInt() >= n) {
                return cp;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("fewer than " + n + " checkpoints within " + timeout + ": " + cp);
    }

    /** Waits until the job has restored a checkpoint (after a failure); returns the restored checkpoint's stats. */
    JsonNode awaitRestore(String jobId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode restored = cluster.rest().checkpoints(jobId).path("latest").path("restored");
            if (!restored.isMissingNode() && !restored.isNull()) {
                return restored;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + jobId + " restored no checkpoint within " + timeout + "; logs in " + cluster.logDir());
    }

    /** Waits until {@code topic} holds at least {@code n} records (committed or not: its end offsets). */
    void awaitTopicWrites(String topic, long n, Duration timeout, SessionFeeder feeder) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.kafkaBootstrap());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            long deadline = System.nanoTime() + timeout.toNanos();
            long sum = 0;
            while (System.nanoTime() < deadline) {
                feeder.checkAlive();
                sum = c.endOffsets(tps).values().stream().mapToLong(Long::longValue).sum();
                if (sum >= n) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new AssertionError(topic + " holds " + sum + " < " + n + " records after " + timeout + "; logs in " + cluster.logDir());
        }
    }

    @Override
    public void close() throws IOException {
        cluster.close();
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
