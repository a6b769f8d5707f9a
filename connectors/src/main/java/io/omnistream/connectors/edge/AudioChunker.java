package io.omnistream.connectors.edge;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns the microphone's 10 ms PCM16 frames (whatever rate and channel count the decoder hands out, normally
 * 48 kHz) into the pipeline's 20 ms, 16 kHz mono chunks, and stamps each chunk on the session's sample clock:
 * {@code captureTimeMicros} is the number of 16 kHz samples emitted before it, in microseconds.
 *
 * <p>The sample clock is held to the session's wall clock, which also stamps the camera and screen pictures. The
 * headless audio module pulls 10 ms of audio per tick of its own timer and delivers 0.97-0.99 of real time (most
 * late pulls are not made up: NetEq time-compresses or drops what piles up in its jitter buffer), so a clock that
 * only counted samples fell 1-3 % behind the pictures: 18-54 s after half an hour, lip movement and speech no
 * longer in the same tick, and once the watermark followed the pictures, every audio chunk late. When the sample
 * clock has stayed more than {@link #MAX_LAG_MICROS} behind the wall clock for {@link #SKIP_AFTER_MICROS}, the
 * clock skips whole chunks to within one chunk of it: the downstream aligner sees a hole of that many 20 ms chunks
 * (silence), which is what the module lost. The wait tells loss from delay: a starved module may pull late and then
 * catch up (up to 1.2 s of audio in a wall second was seen under load), and a skip taken at the stall would put the
 * clock ahead of the wall clock by the caught-up audio, stall after stall. A clock never moves back (that would
 * duplicate capture times); audio delivered more than {@link #MAX_LEAD_MICROS} ahead of the wall clock is dropped
 * and counted instead, like a packet too late for a jitter buffer: its time on the time line was given to the hole
 * of a skip already.
 */
public final class AudioChunker {
    /** Output sample rate. */
    public static final int RATE = 16_000;
    /** Samples per chunk (20 ms). */
    public static final int CHUNK_SAMPLES = 320;

    /** How far the sample clock may fall behind the wall clock before it skips ahead (two chunks). */
    public static final long MAX_LAG_MICROS = 40_000L;
    /** How long the lag must last before the clock skips (a delayed module catches up within this). */
    public static final long SKIP_AFTER_MICROS = 2_000_000L;
    /** How far the sample clock may run ahead of the wall clock before delivered audio is dropped. */
    public static final long MAX_LEAD_MICROS = 200_000L;

    /** Told of each correction of the sample clock to the wall clock. */
    public interface Corrections {
        /** The clock skipped {@code micros} of audio the module never delivered (a hole). */
        void skipped(long micros);

        /** {@code micros} of delivered audio were dropped: they came too far ahead of the wall clock. */
        void dropped(long micros);
    }

    /** Corrections nobody counts. */
    public static final Corrections UNCOUNTED = new Corrections() {
        @Override
        public void skipped(long micros) {}

        @Override
        public void dropped(long micros) {}
    };

    private static final long CHUNK_MICROS = CHUNK_SAMPLES * 1_000_000L / RATE;

    /** A finished chunk. */
    public record Chunk(long seq, long captureTimeMicros, byte[] pcm16le) {}

    /** Receives finished chunks. */
    public interface Sink {
        void accept(Chunk chunk);
    }

    private final Sink sink;
    private PcmResampler resampler;
    private int inRate;
    private final short[] pending = new short[CHUNK_SAMPLES];
    private int pendingLen;
    private long emittedSamples;
    private long seq;

    private final java.util.function.LongSupplier originMicros;
    private final Corrections corrections;
    private boolean started;
    /** Since when (session clock) the sample clock has been more than MAX_LAG behind; -1: it is not. */
    private long laggingSince = -1;

    /**
     * @param sink receives finished chunks
     * @param originMicros session clock at the first audio frame (time since session start), so the audio clock and
     *        the video clock share one origin even when the microphone starts late
     */
    public AudioChunker(Sink sink, java.util.function.LongSupplier originMicros) {
        this(sink, originMicros, 0, UNCOUNTED);
    }

    /**
     * @param firstSeq sequence number of the first chunk; a resumed session starts above every number its earlier
     *        peer can have used, so the aligner's duplicate window does not drop the continued audio
     * @param corrections told of each skip of the sample clock to the wall clock and of audio dropped ahead of it
     */
    public AudioChunker(Sink sink, java.util.function.LongSupplier originMicros, long firstSeq,
            Corrections corrections) {
        this.sink = sink;
        this.originMicros = originMicros;
        this.seq = firstSeq;
        this.corrections = corrections;
    }

    /** Feeds one frame as {@code AudioTrackSink.onData} delivers it (16-bit interleaved, platform order). */
    public void onFrame(byte[] data, int bitsPerSample, int sampleRate, int channels, int frames) {
        if (bitsPerSample != 16 || channels < 1 || frames <= 0 || sampleRate <= 0
                || data.length < frames * channels * 2) {
            throw new IllegalArgumentException("unsupported audio frame: " + bitsPerSample + " bit, " + channels
                    + " ch, " + frames + " frames, " + data.length + " bytes");
        }
        if (!started) {
            started = true;
            // the first chunk starts on the next whole 20 ms of the session clock: with the session's start on the
            // chunk grid of the epoch (EdgeSession#published), chunks then tile the aligner's tick grid
            long samples = Math.max(0, originMicros.getAsLong()) * RATE / 1_000_000L;
            emittedSamples = Math.floorDiv(samples + CHUNK_SAMPLES - 1, CHUNK_SAMPLES) * CHUNK_SAMPLES;
        }
        if (resampler == null || sampleRate != inRate) {
            resampler = new PcmResampler(sampleRate, RATE);
            inRate = sampleRate;
        }
        ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        short[] mono = new short[frames];
        for (int f = 0; f < frames; f++) {
            int sum = 0;
            for (int c = 0; c < channels; c++) {
                sum += bb.getShort((f * channels + c) * 2);
            }
            mono[f] = (short) (sum / channels);
        }
        short[] out = resampler.process(mono, 0, frames);
        int i = 0;
        while (i < out.length) {
            int n = Math.min(CHUNK_SAMPLES - pendingLen, out.length - i);
            System.arraycopy(out, i, pending, pendingLen, n);
            pendingLen += n;
            i += n;
            if (pendingLen == CHUNK_SAMPLES) {
                ByteBuffer pcm = ByteBuffer.allocate(CHUNK_SAMPLES * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (short s : pending) {
                    pcm.putShort(s);
                }
                pendingLen = 0;
                long capture = emittedSamples * 1_000_000L / RATE;
                // the chunk's last sample arrived now, so its first was captured one chunk ago on the wall clock
                long wall = originMicros.getAsLong();
                long lag = wall - CHUNK_MICROS - capture;
                if (lag < -MAX_LEAD_MICROS) {
                    corrections.dropped(CHUNK_MICROS);
                    continue;
                }
                if (lag <= MAX_LAG_MICROS) {
                    laggingSince = -1;
                } else if (laggingSince < 0) {
                    laggingSince = wall;
                } else if (wall - laggingSince >= SKIP_AFTER_MICROS) {
                    long skip = lag / CHUNK_MICROS;
                    emittedSamples += skip * CHUNK_SAMPLES;
                    capture = emittedSamples * 1_000_000L / RATE;
                    corrections.skipped(skip * CHUNK_MICROS);
                    laggingSince = -1;
                }
                sink.accept(new Chunk(seq++, capture, pcm.array()));
                emittedSamples += CHUNK_SAMPLES;
            }
        }
    }

    /** The session clock (microseconds) of the next sample that will be emitted. */
    public long clockMicros() {
        return (emittedSamples + pendingLen) * 1_000_000L / RATE;
    }
}
