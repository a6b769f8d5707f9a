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
        AudioChunker c = new AudioChunker(out::add, () -> 1_000_000L); // mic starts 1 s into the session
        for (int i = 0; i < 100; i++) { // one second of 48 kHz stereo
            c.onFrame(frame(48000, 2, (short) 1000), 16, 48000, 2, 480);
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

    @Test
    void aModuleDeliveringLessThanRealTimeMakesTheClockSkipWholeChunksAndStayWithTheWallClock() {
        List<AudioChunker.Chunk> out = new ArrayList<>();
        List<Long> skips = new ArrayList<>();
        long[] wall = {5_000_000L}; // session clock: each 10 ms frame arrives 10.2 ms after the last (0.98 real time)
        AudioChunker c = new AudioChunker(out::add, () -> wall[0], 0, skips::add);
        for (int i = 0; i < 30_000; i++) { // five minutes of frames
            wall[0] += 10_200;
            c.onFrame(frame(48000, 1, (short) 1000), 16, 48000, 1, 480);
            if (!out.isEmpty()) {
                long lag = wall[0] - 20_000 - out.get(out.size() - 1).captureTimeMicros();
                assertThat(lag).as("sample clock behind the wall clock").isLessThanOrEqualTo(AudioChunker.MAX_LAG_MICROS + 20_000);
            }
        }
        assertThat(out).hasSize(15_000); // every delivered sample is still sent, in order
        long skipped = 0;
        for (int i = 1; i < out.size(); i++) {
            assertThat(out.get(i).seq()).isEqualTo(i);
            long step = out.get(i).captureTimeMicros() - out.get(i - 1).captureTimeMicros();
            assertThat(step % 20_000).as("on the chunk grid").isZero();
            assertThat(step).isPositive();
            skipped += step - 20_000;
        }
        // 2 % of 306 s of wall clock was never delivered: the clock skipped about that much, in holes of 40-60 ms
        assertThat(skipped).isEqualTo(skips.stream().mapToLong(Long::longValue).sum()).isBetween(5_800_000L, 6_300_000L);
        assertThat(skips).allSatisfy(s -> assertThat(s).isBetween(40_000L, 60_000L));
        long lastLag = wall[0] - 20_000 - out.get(out.size() - 1).captureTimeMicros();
        assertThat(lastLag).isBetween(-20_000L, AudioChunker.MAX_LAG_MICROS + 20_000);
    }

    @Test
    void earlyOrBurstyDeliveryNeverMovesTheClockBack() {
        List<AudioChunker.Chunk> out = new ArrayList<>();
        List<Long> skips = new ArrayList<>();
        long[] wall = {0};
        AudioChunker c = new AudioChunker(out::add, () -> wall[0], 0, skips::add);
        for (int i = 0; i < 1_000; i++) { // frames come in bursts of ten every 100 ms, some faster than real time
            if (i % 10 == 0) {
                wall[0] += i % 30 == 0 ? 60_000 : 100_000;
            }
            c.onFrame(frame(48000, 1, (short) 1000), 16, 48000, 1, 480);
        }
        assertThat(skips).isEmpty();
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i).captureTimeMicros()).isEqualTo(60_000L + i * 20_000L); // from the first frame on
        }
    }
}
