package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AudioChunkerTest {

    private static byte[] frame(int rate, int channels, short value) {
        int frames = rate / 100;
        ByteBuffer b = ByteBuffer.allocate(frames * channels * 2).order(ByteOrder.nativeOrder());
        for (int i = 0; i < frames * channels; i++) {
            b.putShort(value);
        }
        return b.array();
    }

    @Test
    void emitsTwentyMillisecondChunksOnTheSampleClockStartingAtTheSessionOrigin() {
        List<AudioChunker.Chunk> out = new ArrayList<>();
        long[] wall = {1_000_000L}; // mic starts 1 s into the session, frames come in real time
        AudioChunker c = new AudioChunker(out::add, () -> wall[0]);
        for (int i = 0; i < 100; i++) { // one second of 48 kHz stereo
            c.onFrame(frame(48000, 2, (short) 1000), 16, 48000, 2, 480);
            wall[0] += 10_000;
        }
        assertThat(out).hasSize(50);
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i).seq()).isEqualTo(i);
            assertThat(out.get(i).captureTimeMicros()).isEqualTo(1_000_000L + i * 20_000L);
            assertThat(out.get(i).pcm16le()).hasSize(640);
        }
        ByteBuffer last = ByteBuffer.wrap(out.get(49).pcm16le()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(last.getShort(300)).isBetween((short) 990, (short) 1010); // DC passes the low-pass filter
    }

    @Test
    void theFirstChunkStartsOnTheNextWholeTwentyMilliseconds() {
        List<AudioChunker.Chunk> out = new ArrayList<>();
        AudioChunker c = new AudioChunker(out::add, () -> 1_234_567L); // mic starts 1.234567 s into the session
        for (int i = 0; i < 10; i++) {
            c.onFrame(frame(48000, 2, (short) 1000), 16, 48000, 2, 480);
        }
        assertThat(out).isNotEmpty();
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i).captureTimeMicros()).isEqualTo(1_240_000L + i * 20_000L);
        }
    }

    @Test
    void passesSixteenKilohertzMonoThroughUnchanged() {
        List<AudioChunker.Chunk> out = new ArrayList<>();
        AudioChunker c = new AudioChunker(out::add, () -> 0);
        ByteBuffer in = ByteBuffer.allocate(320 * 2).order(ByteOrder.nativeOrder());
        for (int i = 0; i < 320; i++) {
            in.putShort((short) (i * 50));
        }
        c.onFrame(in.array(), 16, 16000, 1, 320);
        c.onFrame(in.array(), 16, 16000, 1, 320);
        assertThat(out).hasSize(2);
        ByteBuffer second = ByteBuffer.wrap(out.get(1).pcm16le()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(second.getShort(200 * 2)).isEqualTo((short) (200 * 50));
    }

    @Test
    void rejectsFramesItCannotRead() {
        AudioChunker c = new AudioChunker(x -> { }, () -> 0);
        assertThatThrownBy(() -> c.onFrame(new byte[10], 16, 48000, 1, 480)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.onFrame(new byte[960], 8, 48000, 1, 480)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A chunker on a hand-moved wall clock: what it sent ({@code out}), how far ahead of the wall clock each chunk was
     * when sent ({@code leads}), and its corrections.
     */
    private static final class Rig implements AudioChunker.Corrections {
        final List<AudioChunker.Chunk> out = new ArrayList<>();
        final List<Long> leads = new ArrayList<>();
        final List<Long> skips = new ArrayList<>();
        final long[] wall;
        long dropped;
        final AudioChunker chunker;

        Rig(long wallMicros) {
            wall = new long[] {wallMicros};
            chunker = new AudioChunker(chunk -> {
                out.add(chunk);
                leads.add(chunk.captureTimeMicros() - (wall[0] - 20_000));
            }, () -> wall[0], 0, this);
        }

        @Override
        public void skipped(long micros) {
            skips.add(micros);
        }

        @Override
        public void dropped(long micros) {
            dropped += micros;
        }

        /** Feeds {@code frames} 10 ms frames, moving the wall clock by {@code step} before each. */
        void feed(int frames, long step) {
            for (int i = 0; i < frames; i++) {
                wall[0] += step;
                chunker.onFrame(frame(48000, 1, (short) 1000), 16, 48000, 1, 480);
            }
        }
    }

    private static void assertOnTheGridInOrder(List<AudioChunker.Chunk> out) {
        for (int i = 1; i < out.size(); i++) {
            assertThat(out.get(i).seq()).isEqualTo(out.get(i - 1).seq() + 1);
            long step = out.get(i).captureTimeMicros() - out.get(i - 1).captureTimeMicros();
            assertThat(step % 20_000).as("on the chunk grid").isZero();
            assertThat(step).isPositive();
        }
    }

    @Test
    void aModuleDeliveringLessThanRealTimeMakesTheClockSkipWholeChunksAndStayWithTheWallClock() {
        Rig corrections = new Rig(5_000_000L); // each 10 ms frame arrives 10.2 ms after the last (0.98 real time)
        List<AudioChunker.Chunk> out = corrections.out;
        long[] wall = corrections.wall;
        long maxLag = 0;
        for (int i = 0; i < 30_000; i++) { // five minutes of frames
            corrections.feed(1, 10_200);
            if (!out.isEmpty()) {
                maxLag = Math.max(maxLag, wall[0] - 20_000 - out.get(out.size() - 1).captureTimeMicros());
            }
        }
        assertThat(out).hasSize(15_000); // every delivered sample is still sent, in order
        assertOnTheGridInOrder(out);
        long skipped = out.get(out.size() - 1).captureTimeMicros() - out.get(0).captureTimeMicros() - 14_999 * 20_000L;
        // 2 % of 306 s of wall clock was never delivered: the clock skipped about that much, each skip after the lag
        // had lasted 2 s (40 ms + 2 % of 2 s behind), never more than that behind the wall clock
        assertThat(skipped).isEqualTo(corrections.skips.stream().mapToLong(Long::longValue).sum()).isBetween(5_800_000L, 6_300_000L);
        assertThat(corrections.skips).allSatisfy(s -> assertThat(s).isBetween(40_000L, 100_000L));
        assertThat(maxLag).as("sample clock behind the wall clock").isLessThanOrEqualTo(120_000L);
        assertThat(corrections.dropped).isZero();
    }

    @Test
    void aStallThatTheModuleCatchesUpLeavesTheClockAlone() {
        Rig corrections = new Rig(0);
        List<AudioChunker.Chunk> out = corrections.out;
        long[] wall = corrections.wall;
        corrections.feed(300, 10_000); // 3 s in real time
        wall[0] += 1_500_000; // the module stalls for 1.5 s ...
        corrections.feed(167, 1_000); // ... and pulls what it owes (1.5 s, and the 167 ms the pulls take) in 167 ms
        corrections.feed(300, 10_000);
        assertThat(corrections.skips).isEmpty();
        assertThat(corrections.dropped).isZero();
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i).captureTimeMicros()).isEqualTo(20_000L + i * 20_000L); // from the first frame on
        }
    }

    @Test
    void audioTheModuleNeverDeliversBecomesAHoleOnceTheLagHasLasted() {
        Rig corrections = new Rig(0);
        List<AudioChunker.Chunk> out = corrections.out;
        long[] wall = corrections.wall;
        corrections.feed(300, 10_000);
        wall[0] += 1_000_000; // one second lost for good
        corrections.feed(300, 10_000);
        assertThat(corrections.skips).hasSize(1);
        assertThat(corrections.skips.get(0)).isBetween(980_000L, 1_000_000L);
        assertOnTheGridInOrder(out);
        long lag = wall[0] - 20_000 - out.get(out.size() - 1).captureTimeMicros();
        assertThat(lag).isBetween(-20_000L, 20_000L);
    }

    @Test
    void audioDeliveredFarAheadOfTheWallClockIsDroppedAndCountedNeverMovingTheClockBack() {
        Rig corrections = new Rig(0);
        List<AudioChunker.Chunk> out = corrections.out;
        List<Long> leads = corrections.leads; // ahead of the wall clock when sent
        long[] wall = corrections.wall;
        corrections.feed(100, 10_000);
        wall[0] += 3_000_000; // a long stall: the lag lasts 2 s while the module trickles ...
        corrections.feed(250, 10_000); // ... the clock skips the hole ...
        corrections.feed(300, 100); // ... and then the module delivers 3 s it owed in 30 ms
        corrections.feed(100, 10_000);
        assertThat(corrections.skips).isNotEmpty();
        assertThat(corrections.dropped).as("the caught-up audio that has no place on the time line").isPositive();
        assertOnTheGridInOrder(out);
        assertThat(leads).allSatisfy(lead -> assertThat(lead).as("ahead of the wall clock")
                .isLessThanOrEqualTo(AudioChunker.MAX_LEAD_MICROS));
    }

    @Test
    void burstyDeliveryInRealTimeKeepsExactSteps() {
        Rig corrections = new Rig(0);
        List<AudioChunker.Chunk> out = corrections.out;
        long[] wall = corrections.wall;
        AudioChunker c = corrections.chunker;
        for (int i = 0; i < 1_000; i++) { // frames come in bursts of ten every 100 ms
            if (i % 10 == 0) {
                wall[0] += 100_000;
            }
            c.onFrame(frame(48000, 1, (short) 1000), 16, 48000, 1, 480);
        }
        assertThat(corrections.skips).isEmpty();
        assertThat(corrections.dropped).isZero();
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i).captureTimeMicros()).isEqualTo(100_000L + i * 20_000L); // from the first frame on
        }
    }
}
