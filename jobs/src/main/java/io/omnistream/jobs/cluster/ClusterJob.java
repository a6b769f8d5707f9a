package io.omnistream.jobs.cluster;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.KafkaSinks;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroRecordSerializationSchema;
import io.omnistream.jobs.JobSinks;
import io.omnistream.jobs.JobSources;
import io.omnistream.jobs.PipelineConfig;
import io.omnistream.jobs.SessionPipelineJob;
import io.omnistream.schemas.PerceptionFrame;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The entry point of the job jar: builds the session pipeline with the live Kafka sources and sinks from program
 * arguments and runs it in whatever cluster runs this main — {@code flink run}, the REST API's
 * {@code /jars/:id/run} (what {@code omni cluster submit} calls), or the Kubernetes operator's
 * {@code FlinkDeployment.spec.job}. Delivery guarantees, checkpointing and the state backend are arguments, so an
 * upgrade or a rescale is "stop with savepoint, run again from it with other arguments".
 */
@Command(name = "omnistream-job", mixinStandardHelpOptions = true,
        description = "The Omnistream session pipeline, for submission to a Flink cluster.")
public final class ClusterJob implements Callable<Integer> {

    @Option(names = "--kafka-bootstrap", required = true, description = "Kafka bootstrap servers as seen from the cluster.")
    String kafkaBootstrap;

    @Option(names = "--parallelism", defaultValue = "1", description = "Parallelism of the pipeline (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--tick-ms", defaultValue = "40", description = "Alignment tick in ms (default: ${DEFAULT-VALUE}).")
    int tickMillis;

    @Option(names = "--idleness-ms", description = "A media partition without data for this long stops holding back the watermark (default: the aligner's).")
    Long idlenessMillis;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "10000", description = "Checkpoint interval, 0 = off (default: ${DEFAULT-VALUE}).")
    long checkpointMillis;

    @Option(names = "--state-backend", defaultValue = "hashmap", description = "hashmap or rocksdb (default: ${DEFAULT-VALUE}).")
    String stateBackend;

    @Option(names = "--start-offsets", defaultValue = "LATEST",
            description = "Where sources start without restored state: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    KafkaConnectorConfig.StartOffsets startOffsets;

    @Option(names = "--analytics-exactly-once", description = "Write omni.analytics with Kafka transactions, committed on checkpoints.")
    boolean analyticsExactlyOnce;

    @Option(names = "--transactional-id-prefix", defaultValue = "omni-analytics", description = "Prefix of transactional ids; unique per job (default: ${DEFAULT-VALUE}).")
    String transactionalIdPrefix;

    @Option(names = "--transaction-timeout-ms", defaultValue = "300000", description = "Below the broker's transaction.max.timeout.ms (default: ${DEFAULT-VALUE}).")
    long transactionTimeoutMillis;

    @Option(names = "--frames-topic", description = "Also write the aligned frames to this topic.")
    String framesTopic;

    @Option(names = "--frames-exactly-once", description = "Write the frames topic exactly-once (transactions) instead of at-least-once.")
    boolean framesExactlyOnce;

    @Option(names = "--frames-partitions", defaultValue = "4", description = "Partitions of the frames topic if it is created (default: ${DEFAULT-VALUE}).")
    int framesPartitions;

    @Option(names = "--no-routing", description = "Modality routing off: every path runs on every tick.")
    boolean noRouting;

    @Option(names = "--gpu-stages", defaultValue = "AUTO",
            description = "Batched GPU stages (log-mel, cross-modal attention → omni.features): AUTO (when the TaskManager"
                    + " building the graph sees a GPU), ON (GPU or its Java twin), OFF (default: ${DEFAULT-VALUE}).")
    io.omnistream.operators.gpu.GpuStagesConfig.Mode gpuStages;

    @Option(names = "--job-name", defaultValue = "omnistream-session-pipeline")
    String jobName;

    public static void main(String[] args) throws Exception {
        ClusterJob job = new ClusterJob();
        CommandLine cmd = new CommandLine(job);
        cmd.parseArgs(args);
        if (cmd.isUsageHelpRequested()) {
            cmd.usage(System.out);
            return;
        }
        // no System.exit: inside a cluster this main runs in the JobManager's JVM
        job.call();
    }

    @Override
    public Integer call() throws Exception {
        PipelineConfig config = pipelineConfig();
        KafkaConnectorConfig kafka = kafkaConfig();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(SessionPipelineJob.flinkConfiguration(config));
        JobSinks live = JobSinks.kafka(kafkaBootstrap, kafka, null);
        JobSinks sinks = new JobSinks(live.deadLetters(), live.events(), live.agent(), live.analytics(), framesSink(kafka),
                live.features());
        new SessionPipelineJob(JobSources.kafka(kafkaBootstrap, kafka), sinks, config).execute(env);
        return 0;
    }

    PipelineConfig pipelineConfig() {
        PipelineConfig config = new PipelineConfig();
        config.jobName = jobName;
        config.parallelism = parallelism;
        config.align.tick = Duration.ofMillis(tickMillis);
        if (idlenessMillis != null) {
            config.align.idleness = Duration.ofMillis(idlenessMillis);
        }
        config.checkpointInterval = Duration.ofMillis(checkpointMillis);
        config.stateBackend = stateBackend;
        if (noRouting) {
            config.routing = io.omnistream.operators.route.RouteConfig.disabled();
        }
        config.gpu.mode = gpuStages;
        config.align.validate();
        if ((analyticsExactlyOnce || framesExactlyOnce) && checkpointMillis <= 0) {
            throw new IllegalArgumentException("exactly-once sinks commit on checkpoints: set --checkpoint-interval-ms > 0");
        }
        return config;
    }

    KafkaConnectorConfig kafkaConfig() {
        return KafkaConnectorConfig.builder()
                .startOffsets(startOffsets)
                .analyticsDeliveryGuarantee(analyticsExactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                .transactionalIdPrefix(transactionalIdPrefix)
                .transactionTimeout(Duration.ofMillis(transactionTimeoutMillis))
                .build();
    }

    private Sink<PerceptionFrame> framesSink(KafkaConnectorConfig kafka) {
        if (framesTopic == null) {
            return null;
        }
        OmniTopics.create(kafkaBootstrap, List.of(framesTopic), framesPartitions, (short) 1);
        // a second transactional sink needs its own transactional id prefix
        KafkaConnectorConfig frames = kafka.toBuilder().transactionalIdPrefix(transactionalIdPrefix + "-frames").build();
        return KafkaSinks.build(kafkaBootstrap,
                AvroRecordSerializationSchema.keyedBySession(framesTopic, PerceptionFrame.class, PerceptionFrame::getSessionId),
                framesExactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE, frames);
    }
}
