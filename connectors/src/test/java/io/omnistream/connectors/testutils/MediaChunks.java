package io.omnistream.connectors.testutils;

import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import java.nio.ByteBuffer;

/**
 * Valid {@link MediaChunk}s as the edge produces them (20 ms PCM16 mono 16 kHz audio, small JPEG-sized pictures),
 * for tests to start from and break one field at a time.
 */
public final class MediaChunks {

    /** Bytes of 20 ms of PCM16 mono at 16 kHz. */
    public static final int AUDIO_CHUNK_BYTES = 640;

    private MediaChunks() {}

    /** Audio chunk number {@code seq} of a session: capture time = seq × 20 ms. */
    public static MediaChunk audio(String sessionId, long seq) {
        byte[] pcm = new byte[AUDIO_CHUNK_BYTES];
        for (int i = 0; i < pcm.length; i += 2) {
            short sample = (short) (1000 * Math.sin(2 * Math.PI * 440 * (seq * 320 + i / 2) / 16_000.0));
            pcm[i] = (byte) sample;
            pcm[i + 1] = (byte) (sample >> 8);
        }
        return MediaChunk.newBuilder()
                .setSessionId(sessionId)
                .setTrackId(sessionId + "-mic")
                .setKind(MediaKind.AUDIO)
                .setSeq(seq)
                .setCaptureTimeMicros(seq * 20_000L)
                .setArrivalTimeMicros(1_700_000_000_000_000L + seq * 20_000L)
                .setDurationMicros(20_000L)
                .setSampleRate(16_000)
                .setPayload(ByteBuffer.wrap(pcm))
                .build();
    }

    /** A camera frame with a payload of the given size at the given capture time. */
    public static MediaChunk camera(String sessionId, long seq, long captureTimeMicros, int payloadBytes) {
        return picture(MediaKind.CAMERA, sessionId, seq, captureTimeMicros, payloadBytes);
    }

    /** A screen frame with a payload of the given size at the given capture time. */
    public static MediaChunk screen(String sessionId, long seq, long captureTimeMicros, int payloadBytes) {
        return picture(MediaKind.SCREEN, sessionId, seq, captureTimeMicros, payloadBytes);
    }

    private static MediaChunk picture(MediaKind kind, String sessionId, long seq, long captureTimeMicros,
            int payloadBytes) {
        byte[] jpeg = new byte[payloadBytes];
        if (payloadBytes >= 4) {
            jpeg[0] = (byte) 0xFF;
            jpeg[1] = (byte) 0xD8;
            jpeg[payloadBytes - 2] = (byte) 0xFF;
            jpeg[payloadBytes - 1] = (byte) 0xD9;
        }
        return MediaChunk.newBuilder()
                .setSessionId(sessionId)
                .setTrackId(sessionId + "-" + kind.name().toLowerCase())
                .setKind(kind)
                .setSeq(seq)
                .setCaptureTimeMicros(captureTimeMicros)
                .setArrivalTimeMicros(1_700_000_000_000_000L + captureTimeMicros)
                .setWidth(640)
                .setHeight(480)
                .setPayload(ByteBuffer.wrap(jpeg))
                .build();
    }
}
