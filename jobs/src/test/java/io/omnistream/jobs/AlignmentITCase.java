package io.omnistream.jobs;

import static io.omnistream.operators.testutils.MediaChunks.audio;
import static io.omnistream.operators.testutils.MediaChunks.bytes;
import static io.omnistream.operators.testutils.MediaChunks.expectedPcm;
import static io.omnistream.operators.testutils.MediaChunks.picture;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.KafkaSinks;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.connectors.kafka.serde.RobustAvroDeserializationSchema;
import io.omnistream.connectors.testutils.KafkaTestSupport;
import io.omnistream.schemas.DeadLetter;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SessionControl;
import io.omnistream.schemas.TrackState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real alignment job on a Flink MiniCluster against the real Kafka broker: three sessions' interleaved chunks
 * with jitter, reordering, a duplicate, a gap and a malformed record go in through Kafka; the exact expected frames
 * come out through Kafka. The job runs in pure event time here; the live fast path is covered by the aligner's
 * harness tests and measured by the alignment benchmark.
 */
class AlignmentITCase {
    private static final String FRAMES = "omni.test.frames";
    private static final String[] SESSIONS = {"session-alpha1", "session-bravo2", "session-charlie3"};
    private static final int CHUNKS = 50; // 1 s of audio per session
    private static final long GAP_FROM = 20;
    private static final long GAP_TO = 23; // session 1 loses audio chunks 20..22
    private static final long DUPLICATE_SEQ = 10; // session 2 sends chunk 10 twice

    @RegisterExtension
    static final KafkaTestSupport KAFKA = KafkaTestSupport.withOmniTopics(3);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void alignsThreeJitteryReorderedSessionsThroughARealBrokerIntoTheExactFrames() throws Exception {
        KAFKA.createTopics(1, FRAMES);
        long origin = System.currentTimeMillis() / 1000 * 1_000_000L; // session clocks start on a whole second
        Random random = new Random(42);

        List<Sent> sent = new ArrayList<>();
        for (int s = 0; s < SESSIONS.length; s++) {
            long sessionOrigin = origin + s * 80_000L; // sessions start 80 ms apart
            for (long seq = 0; seq < CHUNKS; seq++) {
                if (s == 1 && seq >= GAP_FROM && seq < GAP_TO) {
                    continue;
                }
                long jitter = random.nextInt(15_000);
                MediaChunk chunk = audio(SESSIONS[s], s, sessionOrigin, seq, sessionOrigin + (seq + 1) * 20_000 + 2_000 + jitter);
                sent.add(new Sent(OmniTopics.MEDIA_AUDIO, chunk));
                if (s == 2 && seq == DUPLICATE_SEQ) {
                    sent.add(new Sent(OmniTopics.MEDIA_AUDIO, chunk));
                }
            }
            for (long i = 0; i < 15; i++) { // camera at 15 fps
                long t = sessionOrigin + i * 66_000 + 5_000;
                sent.add(new Sent(OmniTopics.MEDIA_VIDEO, picture(SESSIONS[s], MediaKind.CAMERA, i, t, t + 4_000 + random.nextInt(10_000))));
            }
            for (long i = 0; i < 2; i++) { // the screen changes twice
                long t = sessionOrigin + 100_000 + i * 400_000;
                sent.add(new Sent(OmniTopics.MEDIA_SCREEN, picture(SESSIONS[s], MediaKind.SCREEN, i, t, t + 9_000)));
            }
        }
        // Produce in arrival order, then swap some neighbours of the same session (reordering within the bound).
        sent.sort(Comparator.comparingLong(x -> x.chunk.getArrivalTimeMicros()));
        for (int i = 1; i < sent.size(); i += 7) {
            Sent a = sent.get(i - 1);
            Sent b = sent.get(i);
            if (a.topic.equals(b.topic) && a.chunk.getSessionId().equals(b.chunk.getSessionId())) {
                sent.set(i - 1, b);
                sent.set(i, a);
            }
        }
        for (Sent x : sent) {
            KAFKA.produce(x.topic, List.of(x.chunk), MediaChunk::getSessionId);
            if (x == sent.get(sent.size() / 2)) {
                KAFKA.produceRaw(OmniTopics.MEDIA_AUDIO, "session-bravo2".getBytes(StandardCharsets.UTF_8),
                        new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef});
            }
        }

        String bootstrap = KAFKA.bootstrapServers();
        KafkaConnectorConfig kafka = KafkaConnectorConfig.forTests();
        JobSources sources = new JobSources(
                bounded(bootstrap, OmniTopics.MEDIA_AUDIO, MediaChunk.class),
                bounded(bootstrap, OmniTopics.MEDIA_VIDEO, MediaChunk.class),
                bounded(bootstrap, OmniTopics.MEDIA_SCREEN, MediaChunk.class),
                bounded(bootstrap, OmniTopics.CONTROL, SessionControl.class),
                null);
        JobSinks sinks = new JobSinks(KafkaSinks.deadLetters(bootstrap, kafka), null, null, null,
                KafkaSinks.atLeastOnce(bootstrap, FRAMES, PerceptionFrame.class, PerceptionFrame::getSessionId, kafka));
        PipelineConfig config = new PipelineConfig();
        config.parallelism = 2;
        config.checkpointInterval = Duration.ZERO;
        config.align.emitWhenAudioComplete = false; // pure event time: frames exactly reproducible
        // bounded replay: a partition whose reader starts late must not count as idle (seen on a loaded machine: the
        // watermark ran ahead on the other partitions and a session's first chunks came late); finished splits stop
        // holding the watermark by themselves
        config.align.idleness = Duration.ofSeconds(60);
        new SessionPipelineJob(sources, sinks, config).execute(StreamExecutionEnvironment.getExecutionEnvironment());

        int expectedFrames = 0;
        Map<String, List<Expected>> expected = new TreeMap<>();
        for (int s = 0; s < SESSIONS.length; s++) {
            List<Expected> frames = expectedFrames(s, origin + s * 80_000L);
            expected.put(SESSIONS[s], frames);
            expectedFrames += frames.size();
        }
        List<PerceptionFrame> frames = KAFKA.consume(FRAMES, PerceptionFrame.class, expectedFrames, Duration.ofSeconds(30));
        Map<String, List<PerceptionFrame>> bySession = frames.stream()
                .collect(Collectors.groupingBy(f -> f.getSessionId().toString(), TreeMap::new, Collectors.toList()));

        assertThat(bySession.keySet()).containsExactly(expected.keySet().toArray(String[]::new));
        for (var e : expected.entrySet()) {
            List<PerceptionFrame> got = bySession.get(e.getKey());
            assertThat(got.stream().map(Expected::of).toList()).as(e.getKey()).containsExactlyElementsOf(e.getValue());
            assertThat(got).allSatisfy(f -> assertThat(f.getLateChunks()).isZero());
        }
        assertThat(bySession.get("session-charlie3").stream().mapToInt(PerceptionFrame::getDuplicateChunks).sum()).isEqualTo(1);

        List<DeadLetter> dead = KAFKA.consume(OmniTopics.DLQ, DeadLetter.class, 1, Duration.ofSeconds(10));
        assertThat(dead).extracting(d -> d.getReason().toString()).containsExactly("MALFORMED_RECORD");
    }

    /** Frames computed from the rules the aligner promises, independently of its code. */
    private static List<Expected> expectedFrames(int s, long sessionOrigin) {
        List<Expected> out = new ArrayList<>();
        long ticks = CHUNKS / 2;
        for (long k = 0; k < ticks; k++) {
            long start = sessionOrigin + k * 40_000;
            long end = start + 40_000;
            long gapFrom = s == 1 ? GAP_FROM * 320 : -1;
            long gapTo = s == 1 ? GAP_TO * 320 : -1;
            byte[] pcm = expectedPcm(s, k * 640, (k + 1) * 640, gapFrom, gapTo);
            int gaps = 0;
            for (long i = k * 640; i < (k + 1) * 640; i++) {
                gaps += i >= gapFrom && i < gapTo ? 1 : 0;
            }
            long camera = -1;
            for (long i = 0; i < 15; i++) {
                if (sessionOrigin + i * 66_000 + 5_000 < end) {
                    camera = i;
                }
            }
            long screen = -1;
            for (long i = 0; i < 2; i++) {
                if (sessionOrigin + 100_000 + i * 400_000 < end) {
                    screen = i;
                }
            }
            long previousScreen = -1;
            for (long i = 0; i < 2; i++) {
                if (sessionOrigin + 100_000 + i * 400_000 < start) {
                    previousScreen = i;
                }
            }
            boolean changed = screen != previousScreen;
            out.add(new Expected(start, java.util.Arrays.toString(pcm), gaps, camera,
                    camera < 0 ? TrackState.MISSING : TrackState.OK, changed ? screen : -1, changed,
                    screen < 0 ? TrackState.MISSING : TrackState.OK));
        }
        return out;
    }

    private static <T extends SpecificRecordBase> KafkaSource<Decoded<T>> bounded(String bootstrap, String topic, Class<T> type) {
        return KafkaSource.<Decoded<T>>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId("alignment-itcase")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setDeserializer(RobustAvroDeserializationSchema.of(type))
                .build();
    }

    private record Sent(String topic, MediaChunk chunk) {}

    private record Expected(long tickStart, String audio, int gapSamples, long cameraSeq, TrackState cameraState,
            long screenSeq, boolean screenChanged, TrackState screenState) {
        static Expected of(PerceptionFrame f) {
            return new Expected(f.getTickStartMicros(), java.util.Arrays.toString(bytes(f.getAudio())),
                    f.getAudioGapSamples(), f.getCamera() == null ? -1 : f.getCamera().getSeq(), f.getCameraState(),
                    f.getScreen() == null ? -1 : f.getScreen().getSeq(), f.getScreenChanged(), f.getScreenState());
        }
    }
}
