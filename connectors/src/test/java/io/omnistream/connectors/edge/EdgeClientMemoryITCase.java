package io.omnistream.connectors.edge;

import static io.omnistream.connectors.edge.JavaClientEdgeITCase.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.edge.client.EdgeClient;
import io.omnistream.connectors.edge.client.ProcessMemory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The Java client is the load generator's unit of load, run for 30 minutes in the soak: sending camera and screen
 * must not leave its video frames in native memory. Unreleased frames cost ~14 MB/s per client, so 30 s of
 * streaming after a warm-up tells a leak (651 MB measured without the fix) from noise (RSS stayed within ±10 MB with
 * the frames released). Growth of the committed heap in the window is not counted (it is the collector's choice).
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
            long before = ProcessMemory.mallocBytes("self");
            long rssBefore = ProcessMemory.rssBytes("self");
            double cameraBefore = edge.metrics().cameraFrames();
            for (int i = 0; i < 6; i++) {
                Thread.sleep(5_000);
                System.out.printf("memory: rss %d MB, native %d MB, heap committed %d MB, agent frames %d%n",
                        ProcessMemory.rssBytes("self") >> 20, ProcessMemory.mallocBytes("self") >> 20, Runtime.getRuntime().totalMemory() >> 20, client.agentFrames());
            }
            System.gc();
            long grown = ProcessMemory.mallocBytes("self") - before;
            System.out.printf("memory: native grown %d MB (rss %d MB)%n", grown >> 20, (ProcessMemory.rssBytes("self") - rssBefore) >> 20);
            assertThat(edge.metrics().cameraFrames() - cameraBefore).as("camera frames kept flowing").isGreaterThan(20);
            assertThat(grown).as("native memory growth over 30 s of camera + screen, bytes").isLessThan(100L * 1024 * 1024);
        }
    }
}
