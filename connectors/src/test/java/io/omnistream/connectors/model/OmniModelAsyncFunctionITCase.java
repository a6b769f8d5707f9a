package io.omnistream.connectors.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The remote model through Flink async I/O on a MiniCluster, against the local SSE server. */
class OmniModelAsyncFunctionITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static List<OmniModelReply> run(OmniModelConfig c, int n) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<OmniModelRequest> reqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reqs.add(new OmniModelRequest("s" + (i % 3), i, "turn " + i, new byte[3200], null));
        }
        DataStream<OmniModelReply> replies = AsyncDataStream.unorderedWait(
                env.fromData(reqs, TypeInformation.of(OmniModelRequest.class)), new OmniModelAsyncFunction(c),
                c.totalTimeout.toMillis() + 2000, TimeUnit.MILLISECONDS, c.asyncCapacity);
        List<OmniModelReply> out = new ArrayList<>();
        try (CloseableIterator<OmniModelReply> it = replies.executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void everyTurnGetsExactlyOneReplyWithTheStreamedTokens() throws Exception {
        try (StreamingChatTestServer server = new StreamingChatTestServer()) {
            OmniModelConfig c = new OmniModelConfig();
            c.baseUrl = server.baseUrl("ok");
            List<OmniModelReply> out = run(c, 8);
            assertThat(out).hasSize(8);
            assertThat(out).allSatisfy(r -> {
                assertThat(r.ok()).isTrue();
                assertThat(r.deltas).isEqualTo(StreamingChatTestServer.ANSWER);
            });
            assertThat(out.stream().map(r -> r.turnId).collect(Collectors.toSet())).hasSize(8);
        }
    }

    @Test
    void aFailingModelYieldsErrorRepliesAndTheJobCarriesOn() throws Exception {
        try (StreamingChatTestServer server = new StreamingChatTestServer()) {
            OmniModelConfig c = new OmniModelConfig();
            c.baseUrl = server.baseUrl("error500");
            c.maxRetries = 1;
            c.retryBackoff = Duration.ofMillis(10);
            c.breakerFailureThreshold = 2;
            c.breakerOpenFor = Duration.ofMinutes(1);
            c.asyncCapacity = 1;
            List<OmniModelReply> out = run(c, 6);
            assertThat(out).hasSize(6).allSatisfy(r -> assertThat(r.ok()).isFalse());
            Map<Boolean, Long> byBreaker = out.stream().collect(Collectors.partitioningBy(
                    r -> r.error.contains("circuit breaker"), Collectors.counting()));
            assertThat(byBreaker.get(true)).as("rejected at once by the open breaker").isEqualTo(4);
            assertThat(server.hits("error500")).isEqualTo(4);
        }
    }
}
