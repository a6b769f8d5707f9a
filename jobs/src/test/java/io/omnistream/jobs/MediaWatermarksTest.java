package io.omnistream.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class MediaWatermarksTest {

    /** What a generator told its output, in order. */
    private static final class Recorded implements WatermarkOutput {
        final List<String> calls = new ArrayList<>();

        @Override
        public void emitWatermark(Watermark watermark) {
            calls.add("watermark " + watermark.getTimestamp());
        }

        @Override
        public void markIdle() {
            calls.add("idle");
        }

        @Override
        public void markActive() {
            calls.add("active");
        }
    }

    @Test
    void controlInputsAreIdleAndNeverEmitAWatermarkThatCouldOvertakeTheMedia() {
        WatermarkGenerator<String> generator = MediaWatermarks.<String>neverHoldsBack().createWatermarkGenerator(null);
        Recorded out = new Recorded();
        generator.onPeriodicEmit(out);
        generator.onEvent("ENDED", 1_000L, out);
        generator.onPeriodicEmit(out);

        // A watermark of Long.MAX_VALUE here became the operators' watermark whenever every media partition was
        // idle, and watermarks never go back: later event-time timers never fired.
        assertThat(out.calls).isNotEmpty().containsOnly("idle");
    }

    @Test
    void mediaWatermarksFollowTheCaptureTimeEagerly() {
        WatermarkGenerator<String> generator = new MediaWatermarks.EagerBoundedWatermarks<>(40);
        Recorded out = new Recorded();
        generator.onEvent("chunk", 1_000L, out);
        generator.onEvent("older chunk", 990L, out);
        generator.onEvent("chunk", 1_020L, out);
        assertThat(out.calls).containsExactly("watermark 959", "watermark 979");
    }
}
