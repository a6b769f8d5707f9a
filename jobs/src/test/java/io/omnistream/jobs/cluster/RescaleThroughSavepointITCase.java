package io.omnistream.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnistream.schemas.PerceptionFrame;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Rescale with sessions in flight: the job runs with parallelism 1 on one TaskManager; a second TaskManager joins;
 * the job is stopped with a savepoint and resubmitted from it with parallelism 2, so the aligner's keyed state is
 * split across two TaskManagers. Every session's ticks come out exactly once with sample-exact audio. Slow:
 * profile {@code -Pfaults}.
 */
@Tag("faults")
class RescaleThroughSavepointITCase {
    private static final int SESSIONS = 8;
    private static ClusterFixture fixture;

    @BeforeAll
    static void startCluster() throws Exception {
        fixture = new ClusterFixture("rescale", 1, 1).start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void jobRescaledFromOneToTwoTaskManagersThroughASavepointKeepsEverySession() throws Exception {
        LocalFlinkCluster cluster = fixture.cluster;
        String job = fixture.submit(1, null);
        fixture.awaitRunning(job, Duration.ofSeconds(60));
        try (SessionFeeder feeder = new SessionFeeder(cluster.kafkaBootstrap(), SESSIONS).start()) {
            fixture.awaitTopicWrites(ClusterFixture.FRAMES, SESSIONS * 10, Duration.ofSeconds(90), feeder);
            cluster.startTaskManager(2);
            cluster.awaitTaskManagers(2, Duration.ofSeconds(60));

            long stoppedAt = System.currentTimeMillis();
            String savepoint = cluster.rest().stopWithSavepoint(job,
                    cluster.config().savepointDir().toAbsolutePath().toUri().toString(), Duration.ofMinutes(2));
            String rescaled = fixture.submit(2, savepoint);
            fixture.awaitRunning(rescaled, Duration.ofSeconds(60));
            long resumedAt = System.currentTimeMillis();

            JsonNode vertices = cluster.rest().job(rescaled).path("vertices");
            assertThat(vertices).allSatisfy(v -> assertThat(v.path("parallelism").asInt()).isEqualTo(2));
            JsonNode tms = cluster.rest().taskManagers().path("taskmanagers");
            assertThat(tms).hasSize(2).allSatisfy(tm -> assertThat(tm.path("freeSlots").asInt()).isZero());

            Thread.sleep(5_000);
            feeder.stop();
            long expected = (long) SESSIONS * (feeder.chunksPerSession() / 2);
            List<PerceptionFrame> frames = CommittedFrames.read(cluster.kafkaBootstrap(), ClusterFixture.FRAMES,
                    expected, Duration.ofSeconds(90));
            Set<String> late = CommittedFrames.lateChunks(cluster.kafkaBootstrap());
            CommittedFrames.assertExactlyOnceAndComplete(frames, feeder, late);
            System.out.printf("RESULT lateChunks=" + late.size() + " rescale: sessions=%d frames=%d stop-with-savepoint→running at p=2 %d ms, outage=%d ms%n",
                    SESSIONS, frames.size(), resumedAt - stoppedAt, CommittedFrames.outage(frames, stoppedAt).toMillis());
        }
    }
}
