package io.omnistream.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerITCase {

    @Test
    void producesAndConsumesThroughARealBroker() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startDefault()) {
            assertThat(broker.isRunning()).isTrue();
            assertThat(broker.bootstrapServers()).isEqualTo("localhost:" + broker.port());
            roundTrip(broker.bootstrapServers(), "t-" + UUID.randomUUID(), 5);
        }
    }

    @Test
    void createsAllOmniTopicsIdempotently() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startDefault()) {
            OmniTopics.createAll(broker.bootstrapServers(), 2);
            OmniTopics.createAll(broker.bootstrapServers(), 2);
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (Admin admin = Admin.create(props)) {
                var descriptions = admin.describeTopics(OmniTopics.ALL).allTopicNames().get();
                assertThat(descriptions).containsOnlyKeys(OmniTopics.ALL);
                assertThat(descriptions.values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(2));
            }
        }
    }

    @Test
    void twoBrokersRunSideBySideInOneJvmAndEachDeletesItsTemporaryDir() throws Exception {
        Path dir1;
        Path dir2;
        try (EmbeddedKafkaBroker a = EmbeddedKafkaBroker.startDefault();
                EmbeddedKafkaBroker b = EmbeddedKafkaBroker.startDefault()) {
            assertThat(a.port()).isNotEqualTo(b.port());
            dir1 = a.dataDir();
            dir2 = b.dataDir();
            assertThat(dir1).isNotEqualTo(dir2);
            roundTrip(a.bootstrapServers(), "a", 1);
            roundTrip(b.bootstrapServers(), "b", 1);
        }
        assertThat(dir1).doesNotExist();
        assertThat(dir2).doesNotExist();
    }

    @Test
    void persistentDataDirKeepsRecordsAcrossRestarts(@TempDir Path tmp) throws Exception {
        Path dataDir = tmp.resolve("kafka");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dataDir).build().start()) {
            produce(broker.bootstrapServers(), "kept", List.of("first"));
        }
        assertThat(dataDir.resolve("meta.properties")).exists();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dataDir).build().start()) {
            assertThat(consume(broker.bootstrapServers(), "kept", 1)).containsExactly("first");
        }
        assertThat(Files.exists(dataDir)).isTrue();
    }

    @Test
    void bootstrapServersBeforeStartIsAnError() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
        assertThatThrownBy(broker::bootstrapServers).isInstanceOf(IllegalStateException.class);
        assertThat(KafkaCluster.external("k1:9092,k2:9092").bootstrapServers()).isEqualTo("k1:9092,k2:9092");
    }

    private static void roundTrip(String bootstrap, String topic, int n) throws Exception {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            values.add("v" + i);
        }
        produce(bootstrap, topic, values);
        assertThat(consume(bootstrap, topic, n)).containsExactlyElementsOf(values);
    }

    private static void produce(String bootstrap, String topic, List<String> values) throws Exception {
        Properties p = OmniKafkaProperties.lowLatencyProducer(bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (String v : values) {
                producer.send(new ProducerRecord<>(topic, "key", v)).get();
            }
        }
    }

    private static List<String> consume(String bootstrap, String topic, int n) {
        Properties p = OmniKafkaProperties.lowLatencyConsumer(bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "g-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }
}
