package io.omnistream.jobs.cluster;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Every tunable of the local multi-process Flink cluster ({@code omni cluster up}) in one place, with defaults that
 * fit a developer machine. Ports set to 0 are picked free at start and written to the run directory.
 */
public final class ClusterConfig {
    /** Logs, pids, the generated {@code config.yaml}, checkpoints, savepoints and Kafka data live here. */
    public Path runDir = Path.of(".run/cluster");
    public int taskManagers = 1;
    public int slotsPerTaskManager = 2;
    /** REST (web UI, job submission) port of the JobManager. */
    public int restPort = 8081;
    /** Pekko RPC port of the JobManager. */
    public int rpcPort = 6123;
    /** Start a Kafka broker process (else {@link #externalKafka} must be set). */
    public boolean startKafka = true;
    public String externalKafka;
    public int kafkaPort = 9092;
    public int kafkaControllerPort = 9093;
    /** Start the WebRTC edge as its own process ({@link EdgeProcess}). */
    public boolean startEdge = true;
    public int edgePort = 8090;
    public int edgeHeapMb = 1024;
    /** Partitions of the Omnistream topics created by the broker process. */
    public int partitions = 4;
    /** Total process memory of one TaskManager ({@code taskmanager.memory.process.size}). */
    public int taskManagerMemoryMb = 1280;
    public int jobManagerMemoryMb = 1024;
    public int kafkaHeapMb = 768;
    /** Heartbeats short enough that a killed TaskManager is noticed within seconds (Flink's default is 50 s). */
    public Duration heartbeatInterval = Duration.ofSeconds(1);
    public Duration heartbeatTimeout = Duration.ofSeconds(5);
    /** Delay between restarts of a failed job (fixed-delay strategy, unlimited attempts). */
    public Duration restartDelay = Duration.ofMillis(500);
    /** How long {@code up} waits for every process to be ready. */
    public Duration startTimeout = Duration.ofSeconds(120);
    /**
     * Resolve classes of the submitted job jar from the cluster's classpath first. The local cluster runs on the
     * project's own classpath, which already holds the job's classes, so one copy of every class is used; on
     * Kubernetes the official image's lib/ lacks them and the job jar is loaded child-first as usual.
     */
    public boolean parentFirstClassLoading = true;

    public Path logDir() {
        return runDir.resolve("log");
    }

    public Path pidDir() {
        return runDir.resolve("pids");
    }

    public Path confDir() {
        return runDir.resolve("conf");
    }

    public Path checkpointDir() {
        return runDir.resolve("checkpoints");
    }

    public Path savepointDir() {
        return runDir.resolve("savepoints");
    }

    public Path kafkaDataDir() {
        return runDir.resolve("kafka");
    }

    /** Checks the values and returns this. */
    public ClusterConfig validate() {
        if (taskManagers < 0 || slotsPerTaskManager < 1) {
            throw new IllegalArgumentException("taskManagers must be >= 0 and slotsPerTaskManager >= 1");
        }
        if (!startKafka && (externalKafka == null || externalKafka.isBlank())) {
            throw new IllegalArgumentException("without the Kafka broker process an external Kafka bootstrap is needed");
        }
        if (taskManagerMemoryMb < 768 || jobManagerMemoryMb < 512) {
            throw new IllegalArgumentException("TaskManager needs >= 768 MB, JobManager >= 512 MB");
        }
        if (heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
            throw new IllegalArgumentException("heartbeatTimeout must exceed heartbeatInterval");
        }
        return this;
    }
}
