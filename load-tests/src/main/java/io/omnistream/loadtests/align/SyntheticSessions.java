package io.omnistream.loadtests.align;

import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A realistic media mix for many sessions: 20 ms audio chunks, camera pictures every 60 ms (~16 fps) and a
 * screen picture every 2 s, in capture order, with payloads of realistic size (shared buffers, no per-chunk
 * allocation of media bytes).
 */
public final class SyntheticSessions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    public static final long AUDIO_MICROS = 20_000;
    private static final int CYCLE_ROUNDS = 300; // 6 s
    private static final byte[] PCM = new byte[640];
    private static final byte[] CAMERA_JPEG = new byte[6_000];
    private static final byte[] SCREEN_JPEG = new byte[60_000];

    static {
        for (int i = 0; i < PCM.length; i += 2) {
            short v = (short) (3000 * Math.sin(i * 0.05));
            PCM[i] = (byte) v;
            PCM[i + 1] = (byte) (v >> 8);
        }
        CAMERA_JPEG[0] = SCREEN_JPEG[0] = (byte) 0xFF;
        CAMERA_JPEG[1] = SCREEN_JPEG[1] = (byte) 0xD8;
    }

    private final int sessions;
    private final long originMicros;
    private final String[] ids;
    /** One cycle of (round, session, kind) items in capture order. */
    private final int[] itemRound;
    private final int[] itemSession;
    private final MediaKind[] itemKind;

    public SyntheticSessions(int sessions, long originMicros) {
        this.sessions = sessions;
        this.originMicros = originMicros;
        this.ids = new String[sessions];
        for (int s = 0; s < sessions; s++) {
            ids[s] = String.format("bench-session-%04d", s);
        }
        List<int[]> items = new ArrayList<>();
        for (int r = 0; r < CYCLE_ROUNDS; r++) {
            for (int s = 0; s < sessions; s++) {
                items.add(new int[] {r, s, MediaKind.AUDIO.ordinal()});
                if (r % 3 == 0) {
                    items.add(new int[] {r, s, MediaKind.CAMERA.ordinal()});
                }
                if (r % 100 == 0) {
                    items.add(new int[] {r, s, MediaKind.SCREEN.ordinal()});
                }
            }
        }
        itemRound = items.stream().mapToInt(i -> i[0]).toArray();
        itemSession = items.stream().mapToInt(i -> i[1]).toArray();
        itemKind = items.stream().map(i -> MediaKind.values()[i[2]]).toArray(MediaKind[]::new);
    }

    public int sessions() {
        return sessions;
    }

    public String id(int session) {
        return ids[session];
    }

    /** Items per 6 s cycle. */
    public int cycleLength() {
        return itemRound.length;
    }

    /** Chunks of all sessions per second of session time. */
    public double chunksPerSecond() {
        return cycleLength() / (CYCLE_ROUNDS * AUDIO_MICROS / 1e6);
    }

    /** The {@code index}-th chunk of the endless stream, stamped as arriving 25 ms after capture. */
    public MediaChunk chunk(long index) {
        long cycle = index / itemRound.length;
        int i = (int) (index % itemRound.length);
        long round = cycle * CYCLE_ROUNDS + itemRound[i];
        long capture = originMicros + round * AUDIO_MICROS;
        return chunk(itemSession[i], itemKind[i], round, capture, capture + 25_000);
    }

    /** The chunk of {@code kind} of a session at audio round {@code round}. */
    public MediaChunk chunk(int session, MediaKind kind, long round, long captureMicros, long arrivalMicros) {
        MediaChunk.Builder b = MediaChunk.newBuilder()
                .setSessionId(ids[session])
                .setKind(kind)
                .setCaptureTimeMicros(captureMicros)
                .setArrivalTimeMicros(arrivalMicros);
        switch (kind) {
            case AUDIO:
                return b.setTrackId("mic").setSeq(round).setDurationMicros(AUDIO_MICROS).setSampleRate(16_000)
                        .setPayload(ByteBuffer.wrap(PCM)).build();
            case CAMERA:
                return b.setTrackId("cam").setSeq(round / 3).setWidth(320).setHeight(240)
                        .setPayload(ByteBuffer.wrap(CAMERA_JPEG)).build();
            default:
                return b.setTrackId("screen").setSeq(round / 100).setWidth(1280).setHeight(720)
                        .setPayload(ByteBuffer.wrap(SCREEN_JPEG)).build();
        }
    }
}
