package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A resumed session's audio must look like a continuation to the aligner: capture times from the continued clock
 * and sequence numbers above every number the earlier peer can have used.
 */
class ResumedSessionClockTest {

    @Test
    void resumedAudioStartsAtTheContinuedClockWithSequenceNumbersAboveTheEarlierPeers() {
        long clockAtLoss = 7_250_000L;
        List<AudioChunker.Chunk> before = new ArrayList<>();
        long[] wall = {0};
        AudioChunker peer1 = new AudioChunker(before::add, () -> wall[0]);
        for (int i = 0; i < clockAtLoss / 10_000; i++) { // 10 ms frames at 48 kHz up to the loss, in real time
            peer1.onFrame(new byte[480 * 2], 16, 48_000, 1, 480);
            wall[0] += 10_000;
        }

        EdgeSession.Continuation from = new EdgeSession.Continuation(System.currentTimeMillis(), clockAtLoss + 4_000_000L);
        List<AudioChunker.Chunk> after = new ArrayList<>();
        AudioChunker peer2 = new AudioChunker(after::add, from::clockMicros, from.seqBase(), AudioChunker.UNCOUNTED);
        for (int i = 0; i < 10; i++) {
            peer2.onFrame(new byte[480 * 2], 16, 48_000, 1, 480);
        }

        long lastSeqBefore = before.get(before.size() - 1).seq();
        long lastCaptureBefore = before.get(before.size() - 1).captureTimeMicros();
        assertThat(after).isNotEmpty().allSatisfy(c -> {
            assertThat(c.seq()).isGreaterThan(lastSeqBefore);
            assertThat(c.captureTimeMicros()).isGreaterThan(lastCaptureBefore);
        });
        // the continued clock (11.25 s), moved on to the next whole 20 ms chunk so that chunks stay on the tick grid
        assertThat(after.get(0).captureTimeMicros()).isEqualTo(11_260_000L);
        assertThat(after).extracting(AudioChunker.Chunk::seq).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aNewSessionStartsItsSequenceNumbersAtZero() {
        EdgeSession.Continuation fresh = EdgeSession.Continuation.fresh();
        assertThat(fresh.clockMicros()).isZero();
        assertThat(fresh.seqBase()).isZero();
    }
}
