package io.omnistream.connectors.kafka.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.schemas.DeadLetter;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DeadLetterSplitterTest {

    @Test
    void sendsValuesDownstreamAndDeadLettersToTheSideOutput() throws Exception {
        DeadLetter dl = DeadLetters.of(OmniTopics.CONTROL, 0, 7, null, new byte[] {0}, DeadLetterReason.MALFORMED_RECORD,
                "x");
        try (OneInputStreamOperatorTestHarness<Decoded<String>, String> harness =
                new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new DeadLetterSplitter<String>()))) {
            harness.open();
            harness.processElement(new StreamRecord<>(Decoded.ok("first"), 1L));
            harness.processElement(new StreamRecord<>(Decoded.<String>dead(dl), 2L));
            harness.processElement(new StreamRecord<>(Decoded.ok("second"), 3L));
            assertThat(harness.extractOutputValues()).containsExactly("first", "second");
            assertThat(harness.getSideOutput(DeadLetterSplitter.DEAD_LETTERS))
                    .extracting(StreamRecord::getValue).containsExactly(dl);
        }
    }
}
