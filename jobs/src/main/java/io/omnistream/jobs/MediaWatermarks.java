package io.omnistream.jobs;

import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.schemas.MediaChunk;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event-time watermarks of the media sources: the chunk's capture time on the session media clock, bounded
 * out-of-orderness, and idleness so a partition without traffic does not hold the others back.
 *
 * <p>The watermark is emitted on every chunk that moves it (not only on the periodic timer, 200 ms by default),
 * because each tick of a session waits for it: a periodic watermark would add its period to every frame's latency.
 */
public final class MediaWatermarks {
    private MediaWatermarks() {}

    public static WatermarkStrategy<Decoded<MediaChunk>> strategy(Duration outOfOrderness, Duration idleness) {
        long boundMillis = outOfOrderness.toMillis();
        return WatermarkStrategy.<Decoded<MediaChunk>>forGenerator(ctx -> new EagerBoundedWatermarks<>(boundMillis))
                .withTimestampAssigner((decoded, kafkaTimestamp) -> decoded.isOk()
                        ? decoded.getValue().getCaptureTimeMicros() / 1000
                        : Long.MIN_VALUE)
                .withIdleness(idleness);
    }

    /**
     * For inputs that must never hold back the media watermark (session control, the agent's responses read back):
     * the input declares itself idle and emits no watermark, so a two-input operator takes the media watermark
     * alone. It used to emit {@code Long.MAX_VALUE} instead, which was harmless only while media flowed: as soon as
     * every media partition went idle (no customer yet, all sessions gone, a paused client on a one-session job)
     * the operator's combined watermark became that maximum, and watermarks never go back — every event-time
     * timer registered afterwards (the aligner's tick flushes and session abandonment, ASR's release of an end of
     * turn, the GPU stage's windows) would never fire again. Idle, the operator stays where the media left it.
     */
    public static <T> WatermarkStrategy<T> neverHoldsBack() {
        return WatermarkStrategy.forGenerator(ctx -> new WatermarkGenerator<T>() {
            @Override
            public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
                output.markIdle(); // a record does not make this input a watermark source
            }

            @Override
            public void onPeriodicEmit(WatermarkOutput output) {
                output.markIdle();
            }
        });
    }

    /** Bounded out-of-orderness, emitted as soon as an event advances it. */
    static final class EagerBoundedWatermarks<T> implements WatermarkGenerator<T> {
        private final long boundMillis;
        private long maxTimestamp = Long.MIN_VALUE;
        private long emitted = Long.MIN_VALUE;

        EagerBoundedWatermarks(long boundMillis) {
            this.boundMillis = boundMillis;
        }

        @Override
        public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
            if (eventTimestamp > maxTimestamp) {
                maxTimestamp = eventTimestamp;
                long watermark = maxTimestamp - boundMillis - 1;
                if (watermark > emitted) {
                    emitted = watermark;
                    output.emitWatermark(new Watermark(watermark));
                }
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            if (emitted != Long.MIN_VALUE) {
                output.emitWatermark(new Watermark(emitted));
            }
        }
    }
}
