package io.omnistream.connectors.edge;

import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.SessionControl;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's one Kafka producer (shared by all sessions; KafkaProducer is thread safe and batches per partition):
 * media chunks to the three media topics and lifecycle records to {@code omni.control}, key = sessionId so one
 * session's records stay in order on one partition.
 */
final class MediaPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MediaPublisher.class);
    private final KafkaProducer<String, byte[]> producer;
    private final AvroBinary<MediaChunk> chunkCodec = new AvroBinary<>(MediaChunk.getClassSchema());
    private final AvroBinary<SessionControl> controlCodec = new AvroBinary<>(SessionControl.getClassSchema());
    private final EdgeMetrics metrics;

    MediaPublisher(String bootstrapServers, String edgeId, EdgeMetrics metrics) {
        Properties p = OmniKafkaProperties.lowLatencyProducer(bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "omni-edge-" + edgeId);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.metrics = metrics;
    }

    void publish(MediaChunk chunk) {
        send(OmniTopics.mediaTopic(chunk.getKind()), chunk.getSessionId(), chunkCodec.encode(chunk));
    }

    void publish(SessionControl control) {
        send(OmniTopics.CONTROL, control.getSessionId(), controlCodec.encode(control));
    }

    private void send(String topic, String key, byte[] value) {
        metrics.mediaBytes.increment(value.length + key.length());
        producer.send(new ProducerRecord<>(topic, key, value), (md, e) -> {
            if (e != null) {
                metrics.kafkaSendErrors.increment();
                LOG.warn("Kafka send to {} failed: {}", topic, e.toString());
            }
        });
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
