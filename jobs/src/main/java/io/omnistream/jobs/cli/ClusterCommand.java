package io.omnistream.jobs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnistream.jobs.cluster.ClusterConfig;
import io.omnistream.jobs.cluster.FlinkRestClient;
import io.omnistream.jobs.cluster.JobJars;
import io.omnistream.jobs.cluster.LocalFlinkCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code omni cluster up|down|status|submit|stop}: a real Flink standalone session cluster (JobManager and
 * TaskManager processes) plus a Kafka broker process on this machine, from the project's own classpath, with
 * everything under one run directory; jobs go in over the REST API and leave through stop-with-savepoint.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Local multi-process Flink session cluster + Kafka broker + WebRTC edge (up, down, status, submit, stop).",
        subcommands = {ClusterCommand.Up.class, ClusterCommand.Down.class, ClusterCommand.Status.class,
                ClusterCommand.Submit.class, ClusterCommand.Stop.class})
public final class ClusterCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static class RunDir {
        @Option(names = "--run-dir", defaultValue = ".run/cluster", description = "Run directory (default: ${DEFAULT-VALUE}).")
        Path runDir;

        Properties state() throws Exception {
            Properties p = LocalFlinkCluster.state(runDir.toAbsolutePath());
            if (p.isEmpty()) {
                throw new IllegalStateException("no cluster under " + runDir.toAbsolutePath() + " (omni cluster up)");
            }
            return p;
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true, description = "Start Kafka, the JobManager and N TaskManagers.")
    static final class Up extends RunDir implements Callable<Integer> {
        @Option(names = "--taskmanagers", defaultValue = "1", description = "TaskManager processes (default: ${DEFAULT-VALUE}).")
        int taskManagers;
        @Option(names = "--slots", defaultValue = "2", description = "Slots per TaskManager (default: ${DEFAULT-VALUE}).")
        int slots;
        @Option(names = "--rest-port", defaultValue = "8081", description = "JobManager REST/web port, 0 = any (default: ${DEFAULT-VALUE}).")
        int restPort;
        @Option(names = "--rpc-port", defaultValue = "6123", description = "JobManager RPC port, 0 = any (default: ${DEFAULT-VALUE}).")
        int rpcPort;
        @Option(names = "--kafka-port", defaultValue = "9092", description = "Broker port, 0 = any (default: ${DEFAULT-VALUE}).")
        int kafkaPort;
        @Option(names = "--kafka-controller-port", defaultValue = "9093", description = "KRaft controller port (default: ${DEFAULT-VALUE}).")
        int kafkaControllerPort;
        @Option(names = "--kafka-bootstrap", description = "Use this Kafka cluster instead of starting a broker process.")
        String kafkaBootstrap;
        @Option(names = "--partitions", defaultValue = "4", description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
        int partitions;
        @Option(names = "--taskmanager-memory-mb", defaultValue = "1280", description = "Process memory per TaskManager (default: ${DEFAULT-VALUE}).")
        int tmMemory;
        @Option(names = "--edge-port", defaultValue = "8090", description = "Port of the WebRTC edge (default: ${DEFAULT-VALUE}).")
        int edgePort;
        @Option(names = "--no-edge", description = "Do not start the WebRTC edge process.")
        boolean noEdge;

        @Override
        public Integer call() throws Exception {
            ClusterConfig c = new ClusterConfig();
            c.runDir = runDir;
            c.taskManagers = taskManagers;
            c.slotsPerTaskManager = slots;
            c.restPort = restPort;
            c.rpcPort = rpcPort;
            c.kafkaPort = kafkaPort;
            c.kafkaControllerPort = kafkaControllerPort;
            c.startKafka = kafkaBootstrap == null;
            c.externalKafka = kafkaBootstrap;
            c.partitions = partitions;
            c.taskManagerMemoryMb = tmMemory;
            c.startEdge = !noEdge;
            c.edgePort = edgePort;
            LocalFlinkCluster cluster = new LocalFlinkCluster(c, LocalFlinkCluster.projectClasspath());
            try {
                cluster.start();
            } catch (Exception e) {
                System.err.println("omni cluster up failed: " + e.getMessage() + " (logs in " + cluster.logDir() + ")");
                LocalFlinkCluster.stopAll(runDir, Duration.ofSeconds(10));
                return 1;
            }
            System.out.println("omni cluster: Flink web UI and REST http://" + cluster.restAddress() + "/");
            System.out.println("omni cluster: Kafka at " + cluster.kafkaBootstrap());
            System.out.println("omni cluster: " + taskManagers + " TaskManager(s) x " + slots + " slots; logs in " + cluster.logDir());
            if (cluster.edgeUrl() != null) {
                System.out.println("omni cluster: WebRTC edge ready — open " + cluster.edgeUrl());
            }
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stop every process of the cluster.")
    static final class Down extends RunDir implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            List<String> stopped = LocalFlinkCluster.stopAll(runDir, Duration.ofSeconds(20));
            System.out.println("omni cluster: stopped " + (stopped.isEmpty() ? "nothing (no process running)" : stopped));
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Processes, TaskManagers, slots and jobs.")
    static final class Status extends RunDir implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            Map<String, ProcessHandle> running = LocalFlinkCluster.runningProcesses(runDir.toAbsolutePath());
            if (running.isEmpty()) {
                System.out.println("omni cluster: not running (" + runDir.toAbsolutePath() + ")");
                return 3;
            }
            running.forEach((name, p) -> System.out.println("  " + name + "  pid " + p.pid()));
            Properties state = state();
            FlinkRestClient rest = new FlinkRestClient(state.getProperty("rest"));
            try {
                JsonNode o = rest.overview();
                System.out.println("  REST http://" + state.getProperty("rest") + "/  taskmanagers=" + o.path("taskmanagers").asInt()
                        + " slots=" + o.path("slots-available").asInt() + "/" + o.path("slots-total").asInt()
                        + " running jobs=" + o.path("jobs-running").asInt());
                for (JsonNode j : rest.jobs().path("jobs")) {
                    System.out.println("  job " + j.path("jid").asText() + " " + j.path("name").asText() + " " + j.path("state").asText());
                }
            } catch (Exception e) {
                System.out.println("  REST not answering: " + e.getMessage());
                return 1;
            }
            System.out.println("  Kafka " + state.getProperty("kafka"));
            return 0;
        }
    }

    @Command(name = "submit", mixinStandardHelpOptions = true,
            description = "Upload the job jar over REST and run the session pipeline (optionally from a savepoint).")
    static final class Submit extends RunDir implements Callable<Integer> {
        @Option(names = "--jar", description = "Job jar (default: a thin jar of the jobs classes; the cluster has the rest on its classpath).")
        Path jar;
        @Option(names = "--parallelism", defaultValue = "1")
        int parallelism;
        @Option(names = "--checkpoint-interval-ms", defaultValue = "10000")
        long checkpointMillis;
        @Option(names = "--state-backend", defaultValue = "hashmap")
        String stateBackend;
        @Option(names = "--savepoint", description = "Resume from this savepoint (upgrade, rescale).")
        String savepoint;
        @Option(names = "--allow-non-restored-state")
        boolean allowNonRestored;
        @Option(names = "--analytics-exactly-once")
        boolean analyticsExactlyOnce;
        @Option(names = "--frames-topic")
        String framesTopic;
        @Option(names = "--start-offsets", defaultValue = "LATEST")
        String startOffsets;

        @Override
        public Integer call() throws Exception {
            Properties state = state();
            Path jobJar = JobJars.resolve(jar, runDir.toAbsolutePath());
            List<String> args = new ArrayList<>(List.of("--kafka-bootstrap", state.getProperty("kafka"),
                    "--parallelism", Integer.toString(parallelism),
                    "--checkpoint-interval-ms", Long.toString(checkpointMillis),
                    "--state-backend", stateBackend, "--start-offsets", startOffsets));
            if (analyticsExactlyOnce) {
                args.add("--analytics-exactly-once");
            }
            if (framesTopic != null) {
                args.addAll(List.of("--frames-topic", framesTopic));
            }
            FlinkRestClient rest = new FlinkRestClient(state.getProperty("rest"));
            String jarId = rest.uploadJar(jobJar);
            String jobId = rest.runJar(jarId, JobJars.MAIN_CLASS, args, parallelism, savepoint, allowNonRestored);
            System.out.println("omni cluster: submitted " + jobJar.getFileName() + " as job " + jobId);
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop a job with a savepoint and print its path.")
    static final class Stop extends RunDir implements Callable<Integer> {
        @Option(names = "--job", required = true)
        String jobId;

        @Override
        public Integer call() throws Exception {
            Properties state = state();
            String path = new FlinkRestClient(state.getProperty("rest"))
                    .stopWithSavepoint(jobId, state.getProperty("savepoints"), Duration.ofMinutes(5));
            System.out.println("omni cluster: job " + jobId + " stopped; savepoint " + path);
            return 0;
        }
    }
}
