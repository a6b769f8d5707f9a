package io.omnistream.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.serde.AvroCodec;
import io.omnistream.operators.testutils.MediaChunks;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.schemas.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the exactly-once frames topic as a downstream consumer would, with {@code isolation.level=read_committed},
 * and checks the frames against what the {@link SessionFeeder} sent: every tick of every session exactly once, its
 * audio sample-exact — which only holds if the aligner's keyed state (the tick's partial audio) survived the fault.
 */
final class CommittedFrames {
    private static final AvroCodec<PerceptionFrame> CODEC = AvroCodec.of(PerceptionFrame.class);

    private CommittedFrames() {}

    /** Reads until {@code expected} frames arrived (or more, or the timeout passed). */
    static List<PerceptionFrame> read(String bootstrap, String topic, long expected, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "frames-check-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        List<PerceptionFrame> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < deadline && System.nanoTime() < quietUntil) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(CODEC.decode(r.value()));
                }
                if (out.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // catch duplicates that follow
                }
            }
        }
        return out;
    }

    /**
     * The audio chunks the aligner reported as late in {@code omni.dlq} ({@code LATE_CHUNK}), as
     * "sessionId@captureTimeMicros": the only way a chunk may be missing from a frame without the test failing.
     */
    static Set<String> lateChunks(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        Set<String> out = new TreeSet<>();
        AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);
        Pattern captured = Pattern.compile("captured at (\\d+)");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(OmniTopics.DLQ).stream()
                    .map(i -> new TopicPartition(OmniTopics.DLQ, i.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    DeadLetter d = codec.decode(r.value());
                    Matcher m = captured.matcher(String.valueOf(d.getDetail()));
                    if ("LATE_CHUNK".equals(String.valueOf(d.getReason())) && m.find()) {
                        out.add(new String(r.key(), StandardCharsets.UTF_8) + "@" + m.group(1));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Every session has ticks 0..n-1 of its clock exactly once, with exactly the audio that was sent — except
     * chunks reported in {@code late} (see {@link #lateChunks}), which must be zero-filled gaps: nothing is lost
     * silently.
     */
    static void assertExactlyOnceAndComplete(List<PerceptionFrame> frames, SessionFeeder feeder, Set<String> late) {
        Map<String, List<PerceptionFrame>> bySession = frames.stream()
                .collect(Collectors.groupingBy(f -> f.getSessionId().toString(), TreeMap::new, Collectors.toList()));
        Map<String, Long> expected = feeder.expectedTicks();
        assertThat(bySession.keySet()).containsExactlyElementsOf(expected.keySet());
        long tickMicros = 40_000;
        for (var e : expected.entrySet()) {
            int sessionNo = Integer.parseInt(e.getKey().substring(e.getKey().lastIndexOf('-') + 1));
            List<PerceptionFrame> got = bySession.get(e.getKey());
            List<Long> ticks = got.stream().map(f -> (f.getTickStartMicros() - feeder.originMicros) / tickMicros).sorted().toList();
            List<Long> want = new ArrayList<>();
            for (long t = 0; t < e.getValue(); t++) {
                want.add(t);
            }
            assertThat(ticks).as("ticks of %s (each exactly once, none lost)", e.getKey()).containsExactlyElementsOf(want);
            for (PerceptionFrame f : got) {
                long firstSample = (f.getTickStartMicros() - feeder.originMicros) * 16 / 1000;
                byte[] pcm = MediaChunks.expectedPcm(sessionNo, firstSample, firstSample + 640, 0, 0);
                int lateSamples = 0;
                for (int half = 0; half < 2; half++) {
                    if (late.contains(e.getKey() + "@" + (f.getTickStartMicros() + half * 20_000L))) {
                        java.util.Arrays.fill(pcm, half * 640, half * 640 + 640, (byte) 0);
                        lateSamples += 320;
                    }
                }
                assertThat(f.getAudioGapSamples()).as("gap samples in %s tick at %d (late chunks reported: %d samples)",
                        e.getKey(), f.getTickStartMicros(), lateSamples).isEqualTo(lateSamples);
                assertThat(MediaChunks.bytes(f.getAudio())).as("audio of %s tick at %d", e.getKey(), f.getTickStartMicros())
                        .isEqualTo(pcm);
            }
        }
    }

    /**
     * Time from {@code faultMillis} to the end of the longest pause in frame emission that spans it: how long
     * nothing came out of the pipeline because of the fault.
     */
    static Duration outage(List<PerceptionFrame> frames, long faultMillis) {
        List<Long> emits = frames.stream().map(f -> f.getEmitTimeMicros() / 1000).sorted().toList();
        long resumed = -1;
        long longest = -1;
        for (int i = 1; i < emits.size(); i++) {
            long a = emits.get(i - 1);
            long b = emits.get(i);
            if (b >= faultMillis && a <= faultMillis + 2_000 && b - a > longest) {
                longest = b - a;
                resumed = b;
            }
        }
        return resumed < 0 ? Duration.ZERO : Duration.ofMillis(resumed - faultMillis);
    }
}
