package io.omnistream.jobs.cli;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.jobs.JobSinks;
import io.omnistream.jobs.JobSources;
import io.omnistream.jobs.PipelineConfig;
import io.omnistream.jobs.SessionPipelineJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code omni submit}: builds the session pipeline here and sends it, with the job jar, to a running Flink cluster
 * through its REST endpoint (optionally resuming from a savepoint).
 */
@Command(name = "submit", mixinStandardHelpOptions = true,
        description = "Submit the session pipeline to a remote Flink cluster over its REST API.")
public final class SubmitCommand implements Callable<Integer> {

    @Mixin
    PipelineOptions pipeline = new PipelineOptions();

    @Option(names = "--jobmanager", required = true, paramLabel = "HOST:PORT", description = "REST address of the Flink JobManager, e.g. localhost:8081.")
    String jobManager;

    @Option(names = "--kafka-bootstrap", required = true, description = "Kafka bootstrap servers as seen from the cluster.")
    String kafkaBootstrap;

    @Option(names = "--jar", required = true, paramLabel = "JAR", description = "The job jar to ship (jobs/target/omnistream-jobs-*-job.jar).")
    Path jar;

    @Option(names = "--savepoint", description = "Resume from this savepoint path.")
    String savepoint;

    @Option(names = "--allow-non-restored-state", description = "Allow savepoint state that maps to no operator.")
    boolean allowNonRestored;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(jar)) {
            System.err.println("omni submit: job jar not found: " + jar);
            return 2;
        }
        int colon = jobManager.lastIndexOf(':');
        if (colon < 1) {
            System.err.println("omni submit: --jobmanager must be HOST:PORT, was " + jobManager);
            return 2;
        }
        String host = jobManager.substring(0, colon);
        int port = Integer.parseInt(jobManager.substring(colon + 1));

        PipelineConfig config = pipeline.toConfig();
        Configuration conf = SessionPipelineJob.flinkConfiguration(config);
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, allowNonRestored);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment(host, port, conf, jar.toString());
        KafkaConnectorConfig kafka = KafkaConnectorConfig.live();
        JobClient job = new SessionPipelineJob(JobSources.kafka(kafkaBootstrap, kafka),
                JobSinks.kafka(kafkaBootstrap, kafka, null), config).executeAsync(env);
        System.out.println("omni: submitted job " + job.getJobID() + " to " + jobManager);
        return 0;
    }
}
