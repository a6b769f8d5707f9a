package io.omnistream.operators.understand.testutils;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real speech for tests: the librivox recordings of Debian's pocketsphinx-testdata with their
 * transcriptions, and questions spoken by the espeak-ng command line (resampled to 16 kHz by sox),
 * written under target/.
 */
public final class Recordings {
    public static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");

    private Recordings() {}

    /** One recording with what is said in it. */
    public static final class Utterance {
        public final String id;
        public final short[] samples;
        public final String transcript;

        Utterance(String id, short[] samples, String transcript) {
            this.id = id;
            this.samples = samples;
            this.transcript = transcript;
        }
    }

    /** The five librivox utterances (16 kHz mono) with their reference transcriptions. */
    public static List<Utterance> librivox() throws IOException {
        Pattern line = Pattern.compile("<s>\\s*(.*?)\\s*</s>\\s*\\((\\S+)\\)");
        List<Utterance> out = new ArrayList<>();
        for (String l : Files.readAllLines(LIBRIVOX.resolve("transcription"))) {
            Matcher m = line.matcher(l);
            if (m.find()) {
                out.add(new Utterance(m.group(2), readWav(LIBRIVOX.resolve(m.group(2) + ".wav")), m.group(1)));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no librivox recordings under " + LIBRIVOX + "; install pocketsphinx-testdata");
        }
        return out;
    }

    /** Speaks the text with the espeak-ng command line and returns 16 kHz mono samples. */
    public static short[] spoken(String text, Path workDir, int wordsPerMinute) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        String name = Integer.toHexString(text.hashCode()) + "-" + wordsPerMinute;
        Path raw = workDir.resolve(name + "-22k.wav");
        Path wav = workDir.resolve(name + "-16k.wav");
        run(List.of("espeak-ng", "-v", "en-us", "-s", Integer.toString(wordsPerMinute), "-w", raw.toString(), text));
        run(List.of("sox", raw.toString(), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", wav.toString()));
        return readWav(wav);
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(cmd + " failed: " + output);
        }
    }

    /** Reads a PCM16 mono WAV (16 kHz), skipping its header chunks. */
    public static short[] readWav(Path wav) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(wav)).order(ByteOrder.LITTLE_ENDIAN);
        b.position(12);
        while (b.remaining() >= 8) {
            int id = b.getInt();
            int size = b.getInt();
            if (id == 0x61746164) { // "data"
                int n = Math.min(size, b.remaining()) / 2;
                short[] s = new short[n];
                b.asShortBuffer().get(s);
                return s;
            }
            b.position(b.position() + size + (size & 1));
        }
        throw new IOException("no data chunk in " + wav);
    }

    /** PCM16 LE bytes of samples[from, to). */
    public static byte[] pcm(short[] samples, int from, int to) {
        byte[] out = new byte[(to - from) * 2];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(samples, from, to - from);
        return out;
    }

    /** Word error rate of a hypothesis against a reference (word-level Levenshtein / reference words). */
    public static int wordErrors(String reference, String hypothesis) {
        String[] r = reference.trim().isEmpty() ? new String[0] : reference.trim().toLowerCase().split("\\s+");
        String[] h = hypothesis.trim().isEmpty() ? new String[0] : hypothesis.trim().toLowerCase().split("\\s+");
        int[][] d = new int[r.length + 1][h.length + 1];
        for (int i = 0; i <= r.length; i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= h.length; j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= r.length; i++) {
            for (int j = 1; j <= h.length; j++) {
                int sub = d[i - 1][j - 1] + (r[i - 1].equals(h[j - 1]) ? 0 : 1);
                d[i][j] = Math.min(sub, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
            }
        }
        return d[r.length][h.length];
    }

    public static int words(String s) {
        return s.trim().isEmpty() ? 0 : s.trim().split("\\s+").length;
    }
}
