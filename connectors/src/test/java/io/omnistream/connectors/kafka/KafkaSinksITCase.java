package io.omnistream.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.serde.AvroCodec;
import io.omnistream.connectors.testutils.KafkaTestSupport;
import io.omnistream.schemas.AnalyticsRecord;
import io.omnistream.schemas.LatencyTrace;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The analytics sink in exactly-once mode writes through Kafka transactions on the embedded broker. */
class KafkaSinksITCase {

    @RegisterExtension
    static final KafkaTestSupport KAFKA = KafkaTestSupport.withOmniTopics(1);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(() -> new MiniClusterResourceConfiguration
            .Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void exactlyOnceAnalyticsSinkCommitsTransactionsReadableByReadCommittedConsumers() throws Exception {
        List<AnalyticsRecord> records = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            records.add(AnalyticsRecord.newBuilder()
                    .setSessionId("session-" + (i % 2 == 0 ? "even" : "odd0"))
                    .setPayload(LatencyTrace.newBuilder()
                            .setSessionId("session-x")
                            .setTraceId("trace-" + i)
                            .setTurnId(i)
                            .setStages(Map.of("edge.in", (long) i))
                            .build())
                    .build());
        }
        KafkaConnectorConfig config = KafkaConnectorConfig.forTests().toBuilder()
                .analyticsDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .transactionalIdPrefix("it-analytics")
                .transactionTimeout(Duration.ofMinutes(2))
                .build();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.enableCheckpointing(200);
        env.fromData(records, new AvroTypeInfo<>(AnalyticsRecord.class))
                .sinkTo(KafkaSinks.analytics(KAFKA.bootstrapServers(), config));
        env.execute("exactly-once-analytics");

        List<ConsumerRecord<byte[], byte[]>> read =
                KAFKA.consumeRecords(OmniTopics.ANALYTICS, records.size(), Duration.ofSeconds(60));
        AvroCodec<AnalyticsRecord> codec = AvroCodec.of(AnalyticsRecord.class);
        assertThat(read).extracting(r -> codec.decode(r.value())).containsExactlyElementsOf(records);
        assertThat(read).extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
                .containsExactlyElementsOf(records.stream().map(AnalyticsRecord::getSessionId).toList());

        // transactional writes leave commit markers in the log, so the end offset is past the last record
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            TopicPartition tp = new TopicPartition(OmniTopics.ANALYTICS, 0);
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
            assertThat(end).isGreaterThan(read.get(read.size() - 1).offset() + 1);
        }
    }
}
