package io.omnistream.gpu.testutils;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Real speech for the encoder tests: the 16 kHz mono recordings of Debian's pocketsphinx-testdata (installed by
 * deploy/local/setup.sh), the same files the operators' VAD and ASR tests use.
 */
public final class Recordings {
    /** Debian's location; {@code -Domni.recordings.dir} points elsewhere (e.g. a copy carried to the GPU machine). */
    public static final Path POCKETSPHINX = Path.of(System.getProperty("omni.recordings.dir", "/usr/share/pocketsphinx/test/data"));
    /** Five read-book passages (about 3–9 s each) and five short card-game commands. */
    public static final List<String> FILES = List.of(
            "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
            "cards/001.wav", "cards/002.wav", "cards/003.wav", "cards/004.wav", "cards/005.wav");

    private Recordings() {}

    /** Whether the recordings are installed here. */
    public static boolean present() {
        return Files.isRegularFile(POCKETSPHINX.resolve(FILES.get(0)));
    }

    /** Samples of a recording scaled to [-1, 1) (PCM16 / 32768, as the operators do). */
    public static float[] load(String name) throws IOException {
        Path f = POCKETSPHINX.resolve(name);
        if (!Files.isRegularFile(f)) {
            throw new IllegalStateException(f + " is missing; install pocketsphinx-testdata (deploy/local/setup.sh)");
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x46464952 || b.getShort(22) != 1 || b.getInt(24) != 16000 || b.getShort(34) != 16) {
            throw new IOException(f + " is not 16 kHz mono PCM16 WAV");
        }
        int p = 12;
        while (p + 8 <= b.limit()) {
            int id = b.getInt(p);
            int size = b.getInt(p + 4);
            if (id == 0x61746164) { // "data"
                int n = Math.min(size, b.limit() - p - 8) / 2;
                float[] s = new float[n];
                for (int i = 0; i < n; i++) {
                    s[i] = b.getShort(p + 8 + 2 * i) / 32768f;
                }
                return s;
            }
            p += 8 + size + (size & 1);
        }
        throw new IOException("no data chunk in " + f);
    }
}
