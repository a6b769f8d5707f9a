package io.omnistream.connectors.kafka;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Kafka client settings of the live path in one place, so the Flink sinks and the plain producers/consumers of the
 * edge use the same low-latency configuration: {@code linger.ms=0} (send every record at once), {@code acks=1}
 * (the leader's ack is enough; the edge drops duplicates by responseId/seq), no compression (PCM/JPEG do not
 * compress and compression costs CPU time), and consumers that return records as soon as one is there.
 */
public final class OmniKafkaProperties {

    /** Largest record the embedded broker accepts and our producers send (screen-share JPEGs). */
    public static final int MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

    private OmniKafkaProperties() {}

    /** Producer properties for the live path (no serializers set). */
    public static Properties lowLatencyProducer(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(lowLatencyProducerOverrides());
        return p;
    }

    /**
     * The producer settings without bootstrap servers, e.g. for {@code KafkaSinkBuilder#setKafkaProducerConfig}.
     */
    public static Properties lowLatencyProducerOverrides() {
        Properties p = new Properties();
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_MESSAGE_BYTES));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        return p;
    }

    /** Consumer properties for the live path (no group id, no deserializers set). */
    public static Properties lowLatencyConsumer(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(lowLatencyConsumerOverrides());
        return p;
    }

    /** The consumer settings without bootstrap servers, e.g. for {@code KafkaSourceBuilder#setProperties}. */
    public static Properties lowLatencyConsumerOverrides() {
        Properties p = new Properties();
        p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "5");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(MAX_MESSAGE_BYTES));
        return p;
    }
}
