package io.omnistream.loadtests.eval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real speech of the evaluation set: Debian {@code pocketsphinx-testdata}'s recordings (five
 * "cards" utterances and five LibriVox "Sense and Sensibility" sentences, 16 kHz mono PCM16), read
 * from where the package installs them (override with {@code -Domni.eval.speech.dir}).
 */
public final class Recordings {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/pocketsphinx/test/data");
    public static final List<String> FILES = List.of(
            "cards/001.wav", "cards/002.wav", "cards/003.wav", "cards/004.wav", "cards/005.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
            "librivox/sense_and_sensibility_01_austen_64kb-0930.wav");

    private Recordings() {}

    public static Path dir() {
        String p = System.getProperty("omni.eval.speech.dir");
        return p == null ? DEFAULT_DIR : Path.of(p);
    }

    /** All recordings, in {@link #FILES} order. */
    public static List<short[]> loadAll() throws IOException {
        List<short[]> out = new ArrayList<>();
        for (String f : FILES) {
            out.add(readWav(dir().resolve(f)));
        }
        return out;
    }

    /** Samples of the data chunk of a 16-bit mono RIFF WAV file. */
    public static short[] readWav(Path wav) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(wav)).order(ByteOrder.LITTLE_ENDIAN);
        int p = 12;
        while (p + 8 <= b.limit()) {
            int id = b.getInt(p);
            int size = b.getInt(p + 4);
            if (id == 0x61746164) { // "data"
                int n = Math.min(size, b.limit() - p - 8) / 2;
                short[] s = new short[n];
                for (int i = 0; i < n; i++) {
                    s[i] = b.getShort(p + 8 + 2 * i);
                }
                return s;
            }
            p += 8 + size + (size & 1);
        }
        throw new IOException("no data chunk in " + wav);
    }

    /** Writes 16 kHz mono PCM16 samples as a WAV file (for listening to generated mixes). */
    public static void writeWav(Path wav, short[] s) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * s.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46464952).putInt(36 + 2 * s.length).putInt(0x45564157); // RIFF, size, WAVE
        b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 1).putInt(16000).putInt(32000)
                .putShort((short) 2).putShort((short) 16); // fmt
        b.putInt(0x61746164).putInt(2 * s.length); // data
        for (short v : s) {
            b.putShort(v);
        }
        Files.createDirectories(wav.getParent());
        Files.write(wav, b.array());
    }
}
