package io.omnistream.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnistream.schemas.PerceptionFrame;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fault that matters most, on real processes: a TaskManager is killed with SIGKILL while live sessions stream;
 * the job restarts from its last checkpoint on the surviving TaskManager, the aligner's keyed state comes back, and
 * the exactly-once frames topic (read_committed) holds every tick of every session exactly once with sample-exact
 * audio. Prints the measured outage for load-tests/RESULTS.md.
 */
class TaskManagerKillITCase {
    private static final int SESSIONS = 8;
    private static ClusterFixture fixture;

    @BeforeAll
    static void startCluster() throws Exception {
        fixture = new ClusterFixture("tm-kill", 2, 2).start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void killedTaskManagerIsRecoveredFromCheckpointWithoutLosingOrDuplicatingFrames() throws Exception {
        LocalFlinkCluster cluster = fixture.cluster;
        String job = fixture.submit(2, null);
        fixture.awaitRunning(job, Duration.ofSeconds(60));

        long killedAt;
        try (SessionFeeder feeder = new SessionFeeder(cluster.kafkaBootstrap(), SESSIONS).start()) {
            // the first transactional writes wait for the broker's transaction log to be created
            fixture.awaitTopicWrites(ClusterFixture.FRAMES, SESSIONS * 10, Duration.ofSeconds(90), feeder);
            int before = cluster.rest().checkpoints(job).path("counts").path("completed").asInt();
            fixture.awaitCheckpoints(job, before + 2, Duration.ofSeconds(60)); // frames committed, sessions mid-stream
            Thread.sleep(500); // mid-checkpoint-interval: state and uncommitted frames in flight
            killedAt = cluster.kill("taskmanager-1");

            // the job notices the loss, restores its last checkpoint and runs again on the surviving TaskManager
            JsonNode restored = fixture.awaitRestore(job, Duration.ofSeconds(60));
            fixture.awaitRunning(job, Duration.ofSeconds(60));
            Thread.sleep(4_000);
            feeder.stop();

            long expected = (long) SESSIONS * (feeder.chunksPerSession() / 2);
            List<PerceptionFrame> frames = CommittedFrames.read(cluster.kafkaBootstrap(), ClusterFixture.FRAMES,
                    expected, Duration.ofSeconds(60));
            Set<String> late = CommittedFrames.lateChunks(cluster.kafkaBootstrap());
            Duration outage = CommittedFrames.outage(frames, killedAt);
            // printed before the checks so a failing run still tells how long the job was down
            System.out.printf("tm-kill: restored checkpoint %s %d ms after the kill, outage %d ms%n",
                    restored.path("id").asText(), restored.path("restore_timestamp").asLong() - killedAt, outage.toMillis());
            CommittedFrames.assertExactlyOnceAndComplete(frames, feeder, late);

            assertThat(frames).as("frames emitted before and after the kill")
                    .anyMatch(f -> f.getEmitTimeMicros() / 1000 < killedAt)
                    .anyMatch(f -> f.getEmitTimeMicros() / 1000 > killedAt);
            JsonNode cps = cluster.rest().checkpoints(job);
            System.out.printf("RESULT lateChunks=" + late.size() + " tm-kill: sessions=%d frames=%d restoredCheckpoint=%s outage=%d ms "
                    + "checkpoint(avg duration %s ms, avg size %s B)%n", SESSIONS, frames.size(),
                    restored.path("id").asText(), outage.toMillis(),
                    cps.path("summary").path("end_to_end_duration").path("avg").asText(),
                    cps.path("summary").path("checkpointed_size").path("avg").asText());
            assertThat(outage).as("frames flowing again after the kill").isPositive();
        }
        // the killed TaskManager can rejoin, as a supervisor (or Kubernetes) would restart it
        cluster.startTaskManager(1);
        cluster.awaitTaskManagers(2, Duration.ofSeconds(60));
    }
}
