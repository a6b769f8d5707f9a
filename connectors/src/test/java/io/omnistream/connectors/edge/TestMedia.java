package io.omnistream.connectors.edge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

/**
 * Real test media prepared at test time under {@code target/}: a speech recording from Debian's
 * pocketsphinx-testdata (16 kHz) resampled to 48 kHz, and the project root lookup.
 */
final class TestMedia {
    static final Path SPEECH_WAV =
            Paths.get("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");

    private TestMedia() {}

    static Path projectRoot() {
        String p = System.getProperty("omni.project.root");
        return p != null ? Paths.get(p) : Paths.get("..").toAbsolutePath().normalize();
    }

    static Path targetDir() throws IOException {
        Path t = Paths.get("target", "edge-test-media").toAbsolutePath();
        Files.createDirectories(t);
        return t;
    }

    /** The speech recording as 16-bit mono samples at its own rate (16 kHz). */
    static short[] speech16k() throws Exception {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(SPEECH_WAV.toFile())) {
            AudioFormat f = in.getFormat();
            if (f.getSampleRate() != 16000 || f.getChannels() != 1 || f.getSampleSizeInBits() != 16) {
                throw new IllegalStateException("unexpected test recording format " + f);
            }
            byte[] b = readAll(in);
            ByteBuffer bb = ByteBuffer.wrap(b).order(f.isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            short[] s = new short[b.length / 2];
            for (int i = 0; i < s.length; i++) {
                s[i] = bb.getShort();
            }
            return s;
        }
    }

    static short[] speech48k() throws Exception {
        short[] s = speech16k();
        return new PcmResampler(16000, 48000).process(s, 0, s.length);
    }

    /** Writes 48 kHz mono 16-bit WAV (what Chromium's fake audio capture reads). */
    static Path speechWav48k() throws Exception {
        Path out = targetDir().resolve("speech-48k.wav");
        short[] s = speech48k();
        ByteBuffer data = ByteBuffer.allocate(s.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : s) {
            data.putShort(v);
        }
        AudioFormat fmt = new AudioFormat(48000, 16, 1, true, false);
        try (AudioInputStream ais = new AudioInputStream(new java.io.ByteArrayInputStream(data.array()), fmt, s.length)) {
            AudioSystem.write(ais, javax.sound.sampled.AudioFileFormat.Type.WAVE, out.toFile());
        }
        return out;
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        in.transferTo(o);
        return o.toByteArray();
    }

    static double rms(ByteBuffer pcm16le) {
        ByteBuffer b = pcm16le.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        double sum = 0;
        int n = b.remaining() / 2;
        for (int i = 0; i < n; i++) {
            double v = b.getShort() / 32768.0;
            sum += v * v;
        }
        return Math.sqrt(sum / Math.max(1, n));
    }

    /** A tone as PCM16 LE bytes. */
    static byte[] tone(int rate, double hz, double seconds, double amplitude) {
        int n = (int) (rate * seconds);
        ByteBuffer b = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putShort((short) (Math.sin(2 * Math.PI * hz * i / rate) * amplitude * 32767));
        }
        return b.array();
    }

    /**
     * A Y4M clip (what Chromium's fake camera reads) made from the astronaut photo in the models folder: 640x480,
     * 15 fps, 30 frames panning slowly so consecutive frames differ.
     */
    static Path astronautY4m() throws Exception {
        Path out = targetDir().resolve("astronaut-640x480.y4m");
        if (Files.exists(out)) {
            return out;
        }
        Path png = projectRoot().resolve(".models").resolve("astronaut.png");
        java.awt.image.BufferedImage src = javax.imageio.ImageIO.read(png.toFile());
        int w = 640, h = 480, frames = 30;
        try (java.io.OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(out))) {
            o.write(("YUV4MPEG2 W" + w + " H" + h + " F15:1 Ip A1:1 C420jpeg\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            for (int f = 0; f < frames; f++) {
                java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
                java.awt.Graphics2D g = img.createGraphics();
                int shift = f * 4;
                g.drawImage(src, -shift, 0, w + 60, h, null);
                g.dispose();
                byte[] y = new byte[w * h], u = new byte[w * h / 4], v = new byte[w * h / 4];
                for (int r = 0; r < h; r++) {
                    for (int c = 0; c < w; c++) {
                        int rgb = img.getRGB(c, r);
                        int R = (rgb >> 16) & 0xff, G = (rgb >> 8) & 0xff, B = rgb & 0xff;
                        y[r * w + c] = (byte) Math.round(0.299 * R + 0.587 * G + 0.114 * B);
                        if ((r & 1) == 0 && (c & 1) == 0) {
                            u[(r / 2) * (w / 2) + c / 2] = (byte) Math.max(0, Math.min(255, Math.round(128 - 0.168736 * R - 0.331264 * G + 0.5 * B)));
                            v[(r / 2) * (w / 2) + c / 2] = (byte) Math.max(0, Math.min(255, Math.round(128 + 0.5 * R - 0.418688 * G - 0.081312 * B)));
                        }
                    }
                }
                o.write("FRAME\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                o.write(y);
                o.write(u);
                o.write(v);
            }
        }
        return out;
    }
}
