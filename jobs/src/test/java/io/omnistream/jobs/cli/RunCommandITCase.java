package io.omnistream.jobs.cli;

import static io.omnistream.operators.testutils.MediaChunks.audio;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroDeserializer;
import io.omnistream.connectors.kafka.serde.AvroSerializer;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.PerceptionFrame;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code omni run} in-process: starts the embedded broker, Flink, the job and the edge; media turns into frames. */
class RunCommandITCase {

    @Test
    void startsBrokerFlinkAndTheJobAndAlignsMediaSentToIt(@TempDir Path dir) throws Exception {
        String[] args = {"run", "--kafka-port", "0", "--flink-ui-port", "0", "--data-dir", dir.toString(),
                "--frames-topic", "omni.run.frames", "--checkpoint-interval-ms", "0", "--edge-port", "0",
                "--gpu-stages", "ON"}; // the batched GPU stages, on their Java twins here
        RunCommand run = (RunCommand) OmniCommand.commandLine(args).parseArgs(args).subcommand().commandSpec().userObject();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        RunCommand.Running running = run.start(new PrintStream(printed, true));
        try {
            assertThat(printed.toString()).contains("Kafka broker (KRaft, embedded) at localhost:")
                    .contains("Flink MiniCluster running job").contains("open " + running.edgeUrl());
            java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(running.edgeUrl())).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).containsIgnoringCase("<html");
            String bootstrap = running.kafkaBootstrap();

            Properties consumerProps = OmniKafkaProperties.lowLatencyConsumer(bootstrap);
            consumerProps.put("group.id", "run-itcase");
            consumerProps.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<String, PerceptionFrame> consumer = new KafkaConsumer<>(consumerProps,
                    new StringDeserializer(), new AvroDeserializer<>(PerceptionFrame.class));
                 KafkaProducer<String, MediaChunk> producer = new KafkaProducer<>(
                         OmniKafkaProperties.lowLatencyProducer(bootstrap), new StringSerializer(), new AvroSerializer<>(MediaChunk.class))) {
                consumer.subscribe(List.of("omni.run.frames"));
                long origin = System.currentTimeMillis() / 1000 * 1_000_000L;
                List<PerceptionFrame> frames = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                long seq = 0;
                // The live job reads from the latest offsets: keep talking until frames come back.
                while (frames.size() < 5 && System.nanoTime() < deadline) {
                    for (int i = 0; i < 10; i++, seq++) {
                        MediaChunk chunk = audio("session-run-itcase", 0, origin, seq, origin + (seq + 1) * 20_000);
                        producer.send(new ProducerRecord<>(OmniTopics.MEDIA_AUDIO, chunk.getSessionId(), chunk));
                    }
                    producer.flush();
                    for (ConsumerRecord<String, PerceptionFrame> r : consumer.poll(Duration.ofMillis(200))) {
                        frames.add(r.value());
                    }
                }
                assertThat(frames).hasSizeGreaterThanOrEqualTo(5);
                assertThat(frames).allSatisfy(f -> assertThat(f.getSessionId()).isEqualTo("session-run-itcase"));

                // the GPU stages (batched log-mel → cross-modal attention → int8) write the session's fused features
                Properties fp = OmniKafkaProperties.lowLatencyConsumer(bootstrap);
                fp.put("group.id", "run-itcase-features");
                fp.put("auto.offset.reset", "earliest");
                try (KafkaConsumer<String, byte[]> features = new KafkaConsumer<>(fp, new StringDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                    features.subscribe(List.of(OmniTopics.FEATURES));
                    List<io.omnistream.operators.gpu.FusedFeatures> fused = new ArrayList<>();
                    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (fused.isEmpty() && System.nanoTime() < until) {
                        for (int i = 0; i < 10; i++, seq++) {
                            MediaChunk chunk = audio("session-run-itcase", 0, origin, seq, origin + (seq + 1) * 20_000);
                            producer.send(new ProducerRecord<>(OmniTopics.MEDIA_AUDIO, chunk.getSessionId(), chunk));
                        }
                        producer.flush();
                        for (ConsumerRecord<String, byte[]> r : features.poll(Duration.ofMillis(200))) {
                            assertThat(r.key()).isEqualTo("session-run-itcase");
                            fused.add(io.omnistream.operators.gpu.FusedFeatures.fromBytes(r.value()));
                        }
                    }
                    assertThat(fused).as("fused features on " + OmniTopics.FEATURES).isNotEmpty();
                    assertThat(fused.get(0).sessionId).isEqualTo("session-run-itcase");
                    assertThat(fused.get(0).segmentTokens[0]).as("audio tokens").isPositive();
                    assertThat(fused.get(0).codes).hasSize(fused.get(0).rows() * fused.get(0).dim);
                }
            }
        } finally {
            run.stop();
        }
    }
}
