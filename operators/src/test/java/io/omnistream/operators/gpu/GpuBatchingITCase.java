package io.omnistream.operators.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.logmel.LogMelTwin;
import io.omnistream.gpu.logmel.StreamingLogMel;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batched log-mel front-end and the int8 wrapper in a real Flink job on a MiniCluster (parallelism 2, keyed by
 * session): every session gets exactly the features its own streaming computation gives, in order, whatever the
 * batches were; runs on the GPU where one exists and on the twin otherwise.
 */
class GpuBatchingITCase {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static short[] pcm(int session, int seq) {
        short[] s = new short[640];
        for (int i = 0; i < s.length; i++) {
            double t = (seq * 640 + i) / 16000.0;
            double amp = 0.05 + 0.1 * ((seq + session) % 5);
            s[i] = (short) Math.round(32767 * amp * Math.sin(2 * Math.PI * (200 + 97 * session) * t));
        }
        return s;
    }

    private static MediaChunk chunk(int session, int seq) {
        short[] p = pcm(session, seq);
        ByteBuffer b = ByteBuffer.allocate(p.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : p) {
            b.putShort(v);
        }
        b.flip();
        return MediaChunk.newBuilder().setSessionId("s" + session).setTrackId("mic").setKind(MediaKind.AUDIO).setSeq(seq)
                .setCaptureTimeMicros(seq * 40_000L).setArrivalTimeMicros(0).setDurationMicros(40_000).setSampleRate(16000)
                .setWidth(0).setHeight(0).setPayload(b).build();
    }

    @Test
    void everySessionGetsItsOwnStreamingFeaturesFromTheBatchedOperator() throws Exception {
        int sessions = 12;
        int chunks = 10;
        List<MediaChunk> input = new ArrayList<>();
        for (int seq = 0; seq < chunks; seq++) {
            for (int s = 0; s < sessions; s++) {
                input.add(chunk(s, seq));
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<MediaChunk> audio = env.fromData(input, TypeInformation.of(MediaChunk.class));
        DataStream<LogMelFeatures> features =
                LogMelBatchOperator.apply(audio.keyBy(c -> c.getSessionId().toString()), GpuBatchConfig.defaults());
        List<LogMelFeatures> out = new ArrayList<>();
        try (CloseableIterator<LogMelFeatures> it = features.collectAsync()) {
            env.execute("gpu-batching-it");
            it.forEachRemaining(out::add);
        }
        assertThat(out).hasSize(sessions * chunks);
        Map<String, List<LogMelFeatures>> bySession = new HashMap<>();
        for (LogMelFeatures f : out) {
            bySession.computeIfAbsent(f.sessionId, k -> new ArrayList<>()).add(f);
        }
        LogMelTwin twin = new LogMelTwin();
        for (int s = 0; s < sessions; s++) {
            List<LogMelFeatures> got = bySession.get("s" + s);
            assertThat(got).extracting(f -> f.seq).isSorted().hasSize(chunks);
            got.sort(Comparator.comparingLong(f -> f.seq));
            StreamingLogMel ref = new StreamingLogMel();
            for (int seq = 0; seq < chunks; seq++) {
                short[] p = pcm(s, seq);
                float[] x = new float[p.length];
                for (int i = 0; i < p.length; i++) {
                    x[i] = p[i] / 32768f;
                }
                float[] expected = ref.process(x, twin);
                LogMelFeatures f = got.get(seq);
                assertThat(f.logMel).hasSize(expected.length);
                float tol = f.gpu ? 1e-3f : 0f;
                for (int i = 0; i < expected.length; i++) {
                    assertThat(Math.abs(f.logMel[i] - expected[i])).isLessThanOrEqualTo(tol);
                }
            }
        }
    }
}
