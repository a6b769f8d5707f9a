package io.omnistream.connectors.edge;

import static io.omnistream.connectors.edge.JavaClientEdgeITCase.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.edge.client.EdgeClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * 100 full join → connect (ICE + DTLS) → leave cycles against one edge leave no native peer, thread or file
 * descriptor behind, on the edge or in the client. The quick default form negotiates the data channel and the
 * audio transceiver but pushes no media (a media cycle costs seconds of CPU on a shared CI core); the peers,
 * factories, audio modules and sockets created and disposed per cycle are the same.
 */
class EdgeJoinLeaveCyclesITCase {
    private static final int CYCLES = Integer.getInteger("omni.edge.cycles", 100);

    @Test
    void hundredJoinLeaveCyclesLeaveNoThreadsOrFileDescriptorsBehind() throws Exception {
        EdgeConfig cfg = EdgeConfig.builder().host("127.0.0.1").port(0).bootstrapServers(EdgeTestKafka.bootstrap())
                .joinsPerSecondPerIp(1000).joinBurstPerIp(1000).build();
        try (EdgeServer edge = EdgeServer.start(cfg)) {
            for (int i = 0; i < 3; i++) { // warm up: event loops, worker pool, Kafka connections, native loader
                cycle(edge);
            }
            settle(edge);
            int threads = NativeResources.threads();
            int fds = NativeResources.fds();
            for (int i = 0; i < CYCLES; i++) {
                cycle(edge);
            }
            settle(edge);
            assertThat(edge.metrics().sessionsEnded()).isEqualTo(CYCLES + 3);
            // one session at a time (plus the previous one still being disposed) reuses the same native factories
            assertThat(edge.peerFactoriesCreated()).isLessThanOrEqualTo(2);
            int threadsAfter = NativeResources.threads();
            int fdsAfter = NativeResources.fds();
            // a leak of one object per cycle would show up as +100; pool threads come and go (seen: +7 with four JDK
            // HttpClient workers and a process reaper alive at the second count)
            assertThat(threadsAfter).as("threads before %d after %d: %s", threads, threadsAfter,
                    NativeResources.threadNames()).isLessThanOrEqualTo(threads + 15);
            assertThat(fdsAfter).as("fds before %d after %d", fds, fdsAfter).isLessThanOrEqualTo(fds + 10);
        }
    }

    private static void cycle(EdgeServer edge) throws Exception {
        try (EdgeClient c = EdgeClient.connect(edge.url(), EdgeClient.Options.noMedia(), Duration.ofSeconds(30))) {
            assertThat(c.sessionId()).isNotBlank();
        }
    }

    private static void settle(EdgeServer edge) throws InterruptedException {
        await(() -> edge.activeSessions() == 0 && edge.disposingSessions() == 0, Duration.ofSeconds(30), "sessions disposed");
        Thread.sleep(500);
    }
}
