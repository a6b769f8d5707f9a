package io.omnistream.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The generated cluster configuration as Flink reads it, and the job jar's argument handling. */
class LocalFlinkClusterTest {

    @Test
    void generatedConfigYamlIsReadByFlinkWithTheIntendedValues(@TempDir Path dir) throws Exception {
        ClusterConfig c = new ClusterConfig();
        c.runDir = dir;
        c.restPort = 18_123;
        c.slotsPerTaskManager = 3;
        c.heartbeatTimeout = Duration.ofSeconds(7);
        LocalFlinkCluster cluster = new LocalFlinkCluster(c, "a.jar");
        Files.createDirectories(cluster.confDir());
        cluster.writeConfig();

        Configuration conf = GlobalConfiguration.loadConfiguration(cluster.confDir().toString());
        assertThat(conf.get(RestOptions.PORT)).isEqualTo(18_123);
        assertThat(conf.get(TaskManagerOptions.NUM_TASK_SLOTS)).isEqualTo(3);
        assertThat(conf.get(HeartbeatManagerOptions.HEARTBEAT_TIMEOUT)).isEqualTo(Duration.ofSeconds(7));
        assertThat(conf.get(CoreOptions.CLASSLOADER_RESOLVE_ORDER)).isEqualTo("parent-first");
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo(dir.resolve("checkpoints").toUri().toString());
        assertThat(conf.getString("restart-strategy.type", null)).isEqualTo("fixed-delay");
        assertThat(cluster.flinkSettings().keySet()).allMatch(FlinkConfigKeys::isKnown);
    }

    @Test
    void relativeClasspathEntriesBecomeAbsoluteBecauseProcessesRunInTheRunDirectory(@TempDir Path dir) {
        ClusterConfig c = new ClusterConfig();
        c.runDir = dir;
        LocalFlinkCluster cluster = new LocalFlinkCluster(c, "jobs/target/classes" + File.pathSeparator + "/abs/x.jar");
        assertThat(cluster.classpath.split(File.pathSeparator))
                .containsExactly(Path.of("jobs/target/classes").toAbsolutePath().toString(), "/abs/x.jar");
    }

    @Test
    void invalidClusterSettingsAreRejectedBeforeAnyProcessStarts() {
        ClusterConfig c = new ClusterConfig();
        c.startKafka = false;
        assertThatThrownBy(c::validate).hasMessageContaining("external Kafka");
        ClusterConfig d = new ClusterConfig();
        d.heartbeatTimeout = Duration.ofMillis(500);
        assertThatThrownBy(d::validate).hasMessageContaining("heartbeatTimeout");
    }

    @Test
    void jobJarArgumentsSelectExactlyOnceAnalyticsAndCheckpointing() {
        ClusterJob job = new ClusterJob();
        new CommandLine(job).parseArgs("--kafka-bootstrap", "k:9092", "--analytics-exactly-once",
                "--transactional-id-prefix", "omni-a", "--checkpoint-interval-ms", "2000", "--state-backend", "rocksdb",
                "--parallelism", "3", "--idleness-ms", "4000");
        KafkaConnectorConfig kafka = job.kafkaConfig();
        assertThat(kafka.analyticsDeliveryGuarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(kafka.transactionalIdPrefix()).isEqualTo("omni-a");
        var config = job.pipelineConfig();
        assertThat(config.checkpointInterval).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.stateBackend).isEqualTo("rocksdb");
        assertThat(config.parallelism).isEqualTo(3);
        assertThat(config.align.idleness).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void exactlyOnceWithoutCheckpointingIsRejectedBecauseTransactionsCommitOnCheckpoints() {
        ClusterJob job = new ClusterJob();
        new CommandLine(job).parseArgs("--kafka-bootstrap", "k:9092", "--analytics-exactly-once", "--checkpoint-interval-ms", "0");
        assertThatThrownBy(job::pipelineConfig).hasMessageContaining("checkpoint");
    }

    @Test
    void transactionTimeoutAtOrAboveTheBrokerMaximumIsRejected() {
        ClusterJob job = new ClusterJob();
        new CommandLine(job).parseArgs("--kafka-bootstrap", "k:9092", "--transaction-timeout-ms", "900000");
        assertThatThrownBy(job::kafkaConfig).hasMessageContaining("15 min");
    }
}
