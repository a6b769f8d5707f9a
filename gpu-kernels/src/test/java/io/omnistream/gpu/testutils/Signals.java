package io.omnistream.gpu.testutils;

import java.util.SplittableRandom;

/** Deterministic test inputs shared by the twin and GPU tests. */
public final class Signals {
    private Signals() {}

    public static float[] sine(int n, double hz, double amplitude) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (amplitude * Math.sin(2 * Math.PI * hz * i / 16000.0));
        }
        return x;
    }

    /** Speech-like test audio: harmonics with a wandering pitch plus noise, amplitude varying over time. */
    public static float[] voiceLike(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        double phase = 0;
        for (int i = 0; i < n; i++) {
            double t = i / 16000.0;
            double f0 = 140 + 40 * Math.sin(2 * Math.PI * 3 * t);
            phase += 2 * Math.PI * f0 / 16000.0;
            double env = 0.2 + 0.8 * Math.abs(Math.sin(2 * Math.PI * 2 * t));
            double v = 0;
            for (int h = 1; h <= 8; h++) {
                v += Math.sin(h * phase) / h;
            }
            x[i] = (float) (env * 0.3 * v + 0.01 * (r.nextDouble() * 2 - 1));
        }
        return x;
    }

    public static float[] uniform(int n, long seed, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return x;
    }

    public static float[] gaussian(int n, long seed, double sigma) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * sigma);
        }
        return x;
    }

    /** An I420 frame with smooth gradients and a bright square, so crops and resizes show real structure. */
    public static byte[] i420Pattern(int w, int h, int seed) {
        int cw = (w + 1) / 2;
        int ch = (h + 1) / 2;
        byte[] f = new byte[w * h + 2 * cw * ch];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = (x * 255 / Math.max(1, w - 1) + y * 97 / Math.max(1, h - 1) + seed * 31) & 0xff;
                if (x > w / 3 && x < w / 2 && y > h / 3 && y < h / 2) {
                    v = 235;
                }
                f[y * w + x] = (byte) v;
            }
        }
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++) {
                f[w * h + y * cw + x] = (byte) (64 + (x * 128 / Math.max(1, cw)) + seed);
                f[w * h + cw * ch + y * cw + x] = (byte) (200 - (y * 128 / Math.max(1, ch)));
            }
        }
        return f;
    }
}
