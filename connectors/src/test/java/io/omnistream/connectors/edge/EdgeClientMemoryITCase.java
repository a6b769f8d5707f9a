package io.omnistream.connectors.edge;

import static io.omnistream.connectors.edge.JavaClientEdgeITCase.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.edge.client.EdgeClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The Java client is the load generator's unit of load, run for 30 minutes in the soak: sending camera and screen
 * must not leave its video frames in native memory. Unreleased frames cost ~14 MB/s per client, so 30 s of
 * streaming after a warm-up tells a leak (≥ 400 MB) from noise (RSS stayed within ±10 MB with the frames released).
 */
class EdgeClientMemoryITCase {

    @Test
    void streamingCameraAndScreenDoesNotAccumulateNativeMemory() throws Exception {
        EdgeConfig cfg = EdgeConfig.builder().host("127.0.0.1").port(0).bootstrapServers(EdgeTestKafka.bootstrap()).build();
        try (EdgeServer edge = EdgeServer.start(cfg);
                EdgeClient client = EdgeClient.connect(edge.url(), EdgeClient.Options.all(TestMedia.speech48k()),
                        Duration.ofSeconds(30))) {
            await(() -> edge.metrics().screenFrames() >= 3, Duration.ofSeconds(20), "screen frames reach the edge");
            Thread.sleep(10_000); // encoders, JIT and the heap warm up (the heap alone commits ~200 MB here)
            System.gc();
            long before = rssBytes();
            double cameraBefore = edge.metrics().cameraFrames();
            Thread.sleep(30_000);
            System.gc();
            long grown = rssBytes() - before;
            assertThat(edge.metrics().cameraFrames() - cameraBefore).as("camera frames kept flowing").isGreaterThan(20);
            assertThat(grown).as("RSS growth over 30 s of camera + screen, bytes").isLessThan(100L * 1024 * 1024);
        }
    }

    private static long rssBytes() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
