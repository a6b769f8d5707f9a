package io.omnistream.connectors.kafka.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.KafkaSinks;
import io.omnistream.connectors.kafka.KafkaSources;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.validation.MediaValidationConfig;
import io.omnistream.connectors.kafka.validation.MediaValidationFunction;
import io.omnistream.connectors.testutils.KafkaTestSupport;
import io.omnistream.connectors.testutils.MediaChunks;
import io.omnistream.schemas.DeadLetter;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.SessionControl;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real job on a Flink MiniCluster reading from a real embedded broker: valid media passes, malformed bytes and
 * every kind of invalid chunk land on {@code omni.dlq} with the right reason, the job keeps running and processing,
 * and the {@code omni.dlq.<REASON>} counters (read through Flink's metric reporter) match.
 */
class DeadLetterITCase {

    private static final InMemoryReporter REPORTER = InMemoryReporter.create();

    @RegisterExtension
    static final KafkaTestSupport KAFKA = KafkaTestSupport.withOmniTopics(1);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(() -> new MiniClusterResourceConfiguration
            .Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(1)
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .build());

    private static final String VALID = "it.valid.media";
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void invalidInputGoesToTheDeadLetterTopicCountedByReasonWhileValidInputFlows() throws Exception {
        String servers = KAFKA.bootstrapServers();
        KafkaConnectorConfig kafka = KafkaConnectorConfig.forTests();
        MediaValidationConfig validation = MediaValidationConfig.builder().maxVideoPayloadBytes(10_000).build();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        SingleOutputStreamOperator<MediaChunk> media = env
                .fromSource(KafkaSources.allMedia(servers, kafka), WatermarkStrategy.noWatermarks(), "media")
                .keyBy(MediaValidationFunction.sessionKey())
                .process(new MediaValidationFunction(validation), new AvroTypeInfo<>(MediaChunk.class))
                .name("validate-media");
        media.sinkTo(KafkaSinks.atLeastOnce(servers, VALID, MediaChunk.class, MediaChunk::getSessionId, kafka));
        SingleOutputStreamOperator<SessionControl> control = env
                .fromSource(KafkaSources.control(servers, kafka), WatermarkStrategy.noWatermarks(), "control")
                .process(new DeadLetterSplitter<SessionControl>(), new AvroTypeInfo<>(SessionControl.class))
                .name("split-control");
        control.sinkTo(new DiscardingSink<>());
        DataStream<DeadLetter> dlq = media.getSideOutput(DeadLetterSplitter.DEAD_LETTERS)
                .union(control.getSideOutput(DeadLetterSplitter.DEAD_LETTERS));
        dlq.sinkTo(KafkaSinks.deadLetters(servers, kafka));
        JobClient job = env.executeAsync("dead-letter-itcase");
        try {
            runScenario(job);
        } finally {
            job.cancel().get();
        }
    }

    private void runScenario(JobClient job) throws Exception {
        byte[] garbage = "definitely not avro".getBytes(StandardCharsets.UTF_8);
        String a = "session-aaaa";
        String b = "session-bbbb";

        // valid: 5 audio chunks of A, 2 camera frames and 1 screen frame of B
        for (int i = 0; i < 5; i++) {
            produce(OmniTopics.MEDIA_AUDIO, MediaChunks.audio(a, i));
        }
        produce(OmniTopics.MEDIA_VIDEO, MediaChunks.camera(b, 0, 0, 5_000));
        produce(OmniTopics.MEDIA_VIDEO, MediaChunks.camera(b, 1, 66_000, 5_000));
        produce(OmniTopics.MEDIA_SCREEN, MediaChunks.screen(b, 0, 0, 50_000));

        // invalid, one of each kind
        KAFKA.produceRaw(OmniTopics.MEDIA_AUDIO, a.getBytes(StandardCharsets.UTF_8), garbage);
        KAFKA.produceRaw(OmniTopics.MEDIA_VIDEO, b.getBytes(StandardCharsets.UTF_8), null);
        produce(OmniTopics.MEDIA_AUDIO, MediaChunks.audio("bad session id!", 0));
        produce(OmniTopics.MEDIA_AUDIO, MediaChunk.newBuilder(MediaChunks.audio(a, 5)).setSeq(-5).build());
        produce(OmniTopics.MEDIA_AUDIO, MediaChunk.newBuilder(MediaChunks.audio(a, 5)).setSampleRate(48_000).build());
        produce(OmniTopics.MEDIA_AUDIO, MediaChunks.audio(a, 3_000)); // 60 s ahead of A's clock
        produce(OmniTopics.MEDIA_VIDEO, MediaChunks.camera(b, 2, 132_000, 20_000)); // over the 10,000 byte limit
        produce(OmniTopics.MEDIA_VIDEO, MediaChunks.audio(a, 6)); // audio on the video topic
        produce(OmniTopics.MEDIA_VIDEO, MediaChunks.camera(b, 3, -1, 5_000));
        produce(OmniTopics.MEDIA_SCREEN, MediaChunks.screen(b, 1, 100_000, 0));
        KAFKA.produceRaw(OmniTopics.CONTROL, b.getBytes(StandardCharsets.UTF_8), garbage);

        List<DeadLetter> dead = KAFKA.consume(OmniTopics.DLQ, DeadLetter.class, 11, TIMEOUT);
        Map<String, Long> byReason = dead.stream()
                .collect(Collectors.groupingBy(DeadLetter::getReason, Collectors.counting()));
        Map<String, Long> expected = Map.of(
                "MALFORMED_RECORD", 2L,
                "MISSING_VALUE", 1L,
                "INVALID_SESSION_ID", 1L,
                "NEGATIVE_FIELD", 1L,
                "WRONG_AUDIO_FORMAT", 1L,
                "CLOCK_OUT_OF_RANGE", 2L,
                "PAYLOAD_TOO_LARGE", 1L,
                "KIND_TOPIC_MISMATCH", 1L,
                "EMPTY_PAYLOAD", 1L);
        assertThat(byReason).isEqualTo(expected);
        DeadLetter malformedAudio = dead.stream()
                .filter(d -> d.getReason().equals("MALFORMED_RECORD") && d.getSourceTopic().equals(OmniTopics.MEDIA_AUDIO))
                .findFirst().orElseThrow();
        assertThat(malformedAudio.getValue()).isEqualTo(ByteBuffer.wrap(garbage));
        assertThat(malformedAudio.getOffset()).isEqualTo(5L);
        assertThat(dead).anySatisfy(d -> {
            assertThat(d.getSourceTopic()).isEqualTo(OmniTopics.CONTROL);
            assertThat(d.getReason()).isEqualTo("MALFORMED_RECORD");
        });

        // the job survived all of it and still processes valid input
        produce(OmniTopics.MEDIA_AUDIO, MediaChunks.audio(a, 5));
        List<MediaChunk> valid = KAFKA.consume(VALID, MediaChunk.class, 9, TIMEOUT);
        assertThat(valid).extracting(c -> c.getSessionId() + "/" + c.getKind() + "/" + c.getSeq())
                .containsExactlyInAnyOrder(a + "/AUDIO/0", a + "/AUDIO/1", a + "/AUDIO/2", a + "/AUDIO/3",
                        a + "/AUDIO/4", a + "/AUDIO/5", b + "/CAMERA/0", b + "/CAMERA/1", b + "/SCREEN/0");
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);

        // the Flink counters, as the metric reporter sees them
        Map<String, Long> counted = dlqCounters(job);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            assertThat(counted.getOrDefault(reason.name(), 0L))
                    .as("omni.dlq.%s", reason)
                    .isEqualTo(expected.getOrDefault(reason.name(), 0L));
        }
    }

    private static Map<String, Long> dlqCounters(JobClient job) {
        Map<String, Long> sums = new HashMap<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> e : REPORTER.getMetricsByGroup().entrySet()) {
            MetricGroup group = e.getKey();
            String[] scope = group.getScopeComponents();
            boolean dlqGroup = scope.length >= 2 && scope[scope.length - 2].equals(DeadLetterCounters.GROUP)
                    && scope[scope.length - 1].equals(DeadLetterCounters.SUBGROUP);
            if (dlqGroup && job.getJobID().toString().equals(group.getAllVariables().get("<job_id>"))) {
                e.getValue().forEach((name, metric) -> {
                    if (metric instanceof Counter counter) {
                        sums.merge(name, counter.getCount(), Long::sum);
                    }
                });
            }
        }
        assertThat(sums).as("dlq counters registered").containsKey("MALFORMED_RECORD");
        return sums;
    }

    private static void produce(String topic, MediaChunk chunk) {
        KAFKA.produce(topic, List.of(chunk), (Function<MediaChunk, String>) MediaChunk::getSessionId);
    }

}
