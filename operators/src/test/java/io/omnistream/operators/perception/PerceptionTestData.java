package io.omnistream.operators.perception;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.ellipse;

import io.omnistream.operators.audio.Pcm16;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Real test media for the perception tests: the Debian pocketsphinx-testdata recordings and a
 * talking face drawn on the astronaut photo (mouth opened by a given amount), plus PerceptionFrames
 * built the way the aligner builds them.
 */
public final class PerceptionTestData {
    /** Debian's location; {@code -Domni.recordings.dir} points elsewhere (a copy carried to the GPU machine). */
    public static final Path POCKETSPHINX = Path.of(System.getProperty("omni.recordings.dir", "/usr/share/pocketsphinx/test/data"));
    public static final Path LIBRIVOX_0880 = POCKETSPHINX.resolve("librivox/sense_and_sensibility_01_austen_64kb-0880.wav");
    public static final Path LIBRIVOX_0930 = POCKETSPHINX.resolve("librivox/sense_and_sensibility_01_austen_64kb-0930.wav");
    public static final Path CARDS_005 = POCKETSPHINX.resolve("cards/005.wav");
    /** Mouth keypoint of the astronaut face as BlazeFace reports it (pixels of the 512×512 PNG). */
    public static final int MOUTH_X = 219;
    public static final int MOUTH_Y = 147;

    private PerceptionTestData() {}

    /** 16-bit mono samples of a RIFF WAV file (the data chunk). */
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

    public static Mat astronaut() {
        Mat m = imread(ModelFiles.require(ModelFiles.modelsDir(), ModelFiles.ASTRONAUT).toString());
        if (m.empty()) {
            throw new IllegalStateException("cannot read astronaut.png");
        }
        return m;
    }

    /** A 200×260 head-and-shoulders crop of the astronaut photo (for pictures holding several people). */
    public static Mat portrait(Mat astronaut) {
        try (Mat roi = new Mat(astronaut, new org.bytedeco.opencv.opencv_core.Rect(125, 40, 200, 260))) {
            return roi.clone();
        }
    }

    /** The astronaut with the mouth drawn open by {@code open} (0 = closed .. 1 = wide open), as JPEG. */
    public static byte[] face(Mat base, double open) {
        try (Mat c = base.clone()) {
            int h = (int) Math.round(1 + 11 * Math.max(0, Math.min(1, open)));
            ellipse(c, new Point(MOUTH_X, MOUTH_Y), new Size(15, h), 0, 0, 360, new Scalar(35, 25, 70, 0), -1, LINE_AA, 0);
            return jpeg(c);
        }
    }

    public static byte[] jpeg(Mat m) {
        try (BytePointer bp = new BytePointer()) {
            imencode(".jpg", m, bp);
            byte[] out = new byte[(int) bp.limit()];
            bp.get(out);
            return out;
        }
    }

    /** A frame with {@code samples[from, from+n)} (zero beyond the end) and an optional camera picture. */
    public static PerceptionFrame frame(String session, long tick, short[] samples, int tickSamples, byte[] jpeg, long seq) {
        int from = (int) (tick * tickSamples);
        short[] t = new short[tickSamples];
        if (from < samples.length) {
            System.arraycopy(samples, from, t, 0, Math.min(tickSamples, samples.length - from));
        }
        long tickMicros = tickSamples * 1_000_000L / 16_000;
        long start = tick * tickMicros;
        return PerceptionFrame.newBuilder()
                .setSessionId(session)
                .setTickIndex(tick)
                .setTickStartMicros(start)
                .setTickEndMicros(start + tickMicros)
                .setAudio(ByteBuffer.wrap(Pcm16.toBytes(t, 0, t.length)))
                .setCamera(jpeg == null ? null : VideoFrame.newBuilder().setSeq(seq).setCaptureTimeMicros(start)
                        .setWidth(512).setHeight(512).setJpeg(ByteBuffer.wrap(jpeg)).build())
                .setCameraState(jpeg == null ? TrackState.MISSING : TrackState.OK)
                .setEmitTimeMicros(System.currentTimeMillis() * 1000)
                .build();
    }

    /** The speech with {@code leadSamples} of silence before it and {@code tailSamples} after it. */
    public static short[] withSilence(short[] speech, int leadSamples, int tailSamples) {
        short[] all = new short[leadSamples + speech.length + tailSamples];
        System.arraycopy(speech, 0, all, leadSamples, speech.length);
        return all;
    }

    /** RMS of each tick of the recording, 0..1. */
    public static double[] tickRms(short[] s, int tickSamples) {
        int n = (s.length + tickSamples - 1) / tickSamples;
        double[] r = new double[n];
        for (int t = 0; t < n; t++) {
            double sum = 0;
            int c = 0;
            for (int i = t * tickSamples; i < Math.min(s.length, (t + 1) * tickSamples); i++, c++) {
                sum += (s[i] / 32768.0) * (s[i] / 32768.0);
            }
            r[t] = c == 0 ? 0 : Math.sqrt(sum / c);
        }
        return r;
    }
}
