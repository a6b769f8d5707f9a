package io.omnistream.jobs.cli;

import io.omnistream.connectors.edge.EdgeConfig;
import io.omnistream.connectors.edge.EdgeServer;
import io.omnistream.connectors.kafka.EmbeddedKafkaBroker;
import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.jobs.JobSinks;
import io.omnistream.jobs.JobSources;
import io.omnistream.jobs.PipelineConfig;
import io.omnistream.jobs.SessionPipelineJob;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code omni run}: the embedded default in one process — a Kafka broker (unless an external one is given), a Flink
 * MiniCluster running the session pipeline, and the WebRTC edge — then prints what runs where and waits for Ctrl-C.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Start broker + Flink + job + edge in this process and print the URL to open.")
public final class RunCommand implements Callable<Integer> {

    @Mixin
    PipelineOptions pipeline = new PipelineOptions();

    @Option(names = "--kafka-bootstrap", description = "Use this Kafka cluster instead of starting the embedded broker.")
    String kafkaBootstrap;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Port of the embedded broker, 0 = any free port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions per topic when the topics are created (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--data-dir", defaultValue = ".run/embedded", description = "Where the embedded broker keeps its data (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--flink-ui-port", defaultValue = "8081", description = "Port of the Flink web UI, 0 = any (default: ${DEFAULT-VALUE}).")
    int flinkUiPort;

    @Option(names = "--frames-topic", description = "Also write the aligned frames to this topic (debugging).")
    String framesTopic;

    @Option(names = "--edge-port", defaultValue = "8080", description = "HTTP port of the WebRTC edge, 0 = any free port (default: ${DEFAULT-VALUE}).")
    int edgePort;

    @Option(names = "--no-edge", description = "Do not start the WebRTC edge (pipeline only).")
    boolean noEdge;

    /** Resources to close at shutdown, last started first closed. */
    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "omni-shutdown"));
        start(System.out);
        System.out.println("omni: ready. Press Ctrl-C to stop.");
        stopped.await();
        return 0;
    }

    /** Starts everything and returns once it runs; {@link #stop()} ends it. */
    public synchronized Running start(PrintStream out) throws Exception {
        PipelineConfig config = pipeline.toConfig();
        try {
            String bootstrap = startKafka(out);
            OmniTopics.createAll(bootstrap, partitions);
            if (framesTopic != null) {
                OmniTopics.create(bootstrap, java.util.List.of(framesTopic), partitions, (short) 1);
            }

            Configuration flink = SessionPipelineJob.flinkConfiguration(config);
            flink.set(RestOptions.PORT, flinkUiPort);
            // checkpoints on disk next to the broker's data: the JobManager's memory storage refuses state over 5 MB,
            // which the aligner's buffered pictures exceed with two video sessions (a 15-minute soak saw it fail)
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dataDir.resolve("checkpoints").toAbsolutePath().toUri().toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            KafkaConnectorConfig kafka = KafkaConnectorConfig.live();
            JobClient job = new SessionPipelineJob(JobSources.kafka(bootstrap, kafka),
                    JobSinks.kafka(bootstrap, kafka, framesTopic), config).executeAsync(env);
            running.push(() -> job.cancel().get());
            out.println("omni: Flink MiniCluster running job " + job.getJobID() + " — web UI http://localhost:" + flinkUiPort + "/");

            String url = null;
            if (!noEdge) {
                EdgeServer edge = EdgeServer.start(EdgeConfig.builder().bootstrapServers(bootstrap).port(edgePort).build());
                running.push(edge::close);
                url = edge.url();
                out.println("omni: WebRTC edge ready — open " + url + " in Chromium or Firefox");
            }
            return new Running(bootstrap, job, url);
        } catch (Exception e) {
            System.err.println("omni run failed: " + e);
            stop();
            throw e;
        }
    }

    /** What {@link #start} started. */
    public record Running(String kafkaBootstrap, JobClient job, String edgeUrl) {}

    private String startKafka(PrintStream out) throws Exception {
        if (kafkaBootstrap != null) {
            out.println("omni: using Kafka at " + kafkaBootstrap);
            return kafkaBootstrap;
        }
        Files.createDirectories(dataDir);
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder()
                .port(kafkaPort)
                .dataDir(dataDir.resolve("kafka").toAbsolutePath())
                .build()
                .start();
        running.push(broker);
        out.println("omni: Kafka broker (KRaft, embedded) at " + broker.bootstrapServers()
                + ", data in " + broker.dataDir());
        return broker.bootstrapServers();
    }

    /** Stops what {@link #start} started, last started first. */
    public synchronized void stop() {
        while (!running.isEmpty()) {
            try {
                running.pop().close();
            } catch (Exception e) {
                System.err.println("omni: error while stopping: " + e);
            }
        }
        stopped.countDown();
    }
}
