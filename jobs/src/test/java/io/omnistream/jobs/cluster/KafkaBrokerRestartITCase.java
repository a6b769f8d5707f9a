package io.omnistream.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.schemas.PerceptionFrame;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Kafka broker process is killed with SIGKILL and started again on the same ports and data while sessions
 * stream: the job's sources, sinks and transactions reconnect (the job restarts from its checkpoint if a
 * transaction commit failed), the feeding producer catches up, and the exactly-once frames are complete. Slow:
 * profile {@code -Pfaults}.
 */
@Tag("faults")
class KafkaBrokerRestartITCase {
    private static final int SESSIONS = 8;
    private static ClusterFixture fixture;

    @BeforeAll
    static void startCluster() throws Exception {
        fixture = new ClusterFixture("kafka-restart", 1, 2).start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void restartedBrokerIsReconnectedAndNoFrameIsLostOrDuplicated() throws Exception {
        LocalFlinkCluster cluster = fixture.cluster;
        String job = fixture.submit(2, null);
        fixture.awaitRunning(job, Duration.ofSeconds(60));
        try (SessionFeeder feeder = new SessionFeeder(cluster.kafkaBootstrap(), SESSIONS).start()) {
            fixture.awaitTopicWrites(ClusterFixture.FRAMES, SESSIONS * 10, Duration.ofSeconds(90), feeder);
            int before = cluster.rest().checkpoints(job).path("counts").path("completed").asInt();
            fixture.awaitCheckpoints(job, before + 2, Duration.ofSeconds(60));

            long killedAt = cluster.kill("kafka");
            Thread.sleep(3_000);
            cluster.startKafka();

            int after = cluster.rest().checkpoints(job).path("counts").path("completed").asInt();
            fixture.awaitCheckpoints(job, after + 3, Duration.ofSeconds(120));
            fixture.awaitRunning(job, Duration.ofSeconds(60));
            Thread.sleep(3_000);
            feeder.stop();

            long expected = (long) SESSIONS * (feeder.chunksPerSession() / 2);
            List<PerceptionFrame> frames = CommittedFrames.read(cluster.kafkaBootstrap(), ClusterFixture.FRAMES,
                    expected, Duration.ofSeconds(90));
            Set<String> late = CommittedFrames.lateChunks(cluster.kafkaBootstrap());
            CommittedFrames.assertExactlyOnceAndComplete(frames, feeder, late);
            Duration outage = CommittedFrames.outage(frames, killedAt);
            System.out.printf("RESULT lateChunks=" + late.size() + " kafka-restart: sessions=%d frames=%d broker down 3 s, outage=%d ms%n",
                    SESSIONS, frames.size(), outage.toMillis());
            assertThat(frames).anyMatch(f -> f.getEmitTimeMicros() / 1000 > killedAt + 3_000);
        }
    }
}
