package io.omnistream.operators.testutils;

import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import javax.imageio.ImageIO;

/**
 * Builds media chunks the way the edge publishes them: 20 ms PCM16 audio on a sample clock and small JPEG
 * pictures, with deterministic content so tests can compute the exact expected frames.
 */
public final class MediaChunks {
    public static final int RATE = 16_000;
    public static final int CHUNK_SAMPLES = 320;
    public static final long CHUNK_MICROS = 20_000;

    private MediaChunks() {}

    /** The deterministic PCM value of a session's sample {@code index} (never zero, so gaps are visible). */
    public static short sampleValue(int sessionNo, long index) {
        return (short) (1 + (sessionNo * 7919L + index * 13L) % 30_000);
    }

    /** Audio chunk number {@code seq} of a session whose clock starts at {@code originMicros}. */
    public static MediaChunk audio(String sessionId, int sessionNo, long originMicros, long seq, long arrivalMicros) {
        long first = seq * CHUNK_SAMPLES;
        ByteBuffer pcm = ByteBuffer.allocate(CHUNK_SAMPLES * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < CHUNK_SAMPLES; i++) {
            pcm.putShort(sampleValue(sessionNo, first + i));
        }
        pcm.flip();
        return MediaChunk.newBuilder()
                .setSessionId(sessionId)
                .setTrackId(sessionId + "-mic")
                .setKind(MediaKind.AUDIO)
                .setSeq(seq)
                .setCaptureTimeMicros(originMicros + seq * CHUNK_MICROS)
                .setArrivalTimeMicros(arrivalMicros)
                .setDurationMicros(CHUNK_MICROS)
                .setSampleRate(RATE)
                .setPayload(pcm)
                .build();
    }

    /** A camera or screen picture. */
    public static MediaChunk picture(String sessionId, MediaKind kind, long seq, long captureMicros, long arrivalMicros) {
        return MediaChunk.newBuilder()
                .setSessionId(sessionId)
                .setTrackId(sessionId + (kind == MediaKind.CAMERA ? "-cam" : "-screen"))
                .setKind(kind)
                .setSeq(seq)
                .setCaptureTimeMicros(captureMicros)
                .setArrivalTimeMicros(arrivalMicros)
                .setWidth(32)
                .setHeight(24)
                .setPayload(ByteBuffer.wrap(jpeg((int) (seq * 37 % 255))))
                .build();
    }

    /** The expected PCM16 LE bytes of samples [from, to) of a session, with [gapFrom, gapTo) zero. */
    public static byte[] expectedPcm(int sessionNo, long from, long to, long gapFrom, long gapTo) {
        ByteBuffer pcm = ByteBuffer.allocate((int) (to - from) * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (long s = from; s < to; s++) {
            pcm.putShort(s >= gapFrom && s < gapTo ? 0 : sampleValue(sessionNo, s));
        }
        return pcm.array();
    }

    public static byte[] jpeg(int shade) {
        BufferedImage image = new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(shade, 255 - shade, 128));
        g.fillRect(0, 0, 32, 24);
        g.dispose();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "jpg", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
