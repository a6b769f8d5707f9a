package io.omnistream.loadtests.eval;

/**
 * The documented, reproducible procedure that gives the evaluation its true speech boundaries,
 * applied to the clean recording only:
 *
 * <ol>
 *   <li>10 ms frames (160 samples), level = RMS in dBFS;</li>
 *   <li>floor = 10th percentile of the levels, peak = the maximum;
 *       threshold = max(floor + 15 dB, peak − 35 dB);</li>
 *   <li>speech frames = level ≥ threshold; gaps shorter than 300 ms between speech frames are
 *       closed, islands shorter than 50 ms removed;</li>
 *   <li>speech start = start of the first speech frame, speech end = end of the last one;</li>
 *   <li>pause split point = middle of the longest internal gap below threshold in the middle
 *       30–70 % of the speech (else the quietest frame there): where silence is inserted so that
 *       the gap becomes the pause under test.</li>
 * </ol>
 * Fixed thresholds, no randomness: the same recording always yields the same boundaries.
 */
public final class SpeechBoundaries {
    public static final int FRAME = 160;
    public static final double FLOOR_MARGIN_DB = 15;
    public static final double PEAK_RANGE_DB = 35;
    public static final int MERGE_GAP_FRAMES = 30;
    public static final int MIN_ISLAND_FRAMES = 5;

    /** Sample index of the first speech sample. */
    public final int start;
    /** Sample index just after the last speech sample. */
    public final int end;
    /** Sample index where an inserted pause goes. */
    public final int split;
    /** The natural gap (below threshold) around {@link #split}; empty when the split is the quietest frame. */
    public final int splitGapStart;
    public final int splitGapEnd;
    public final double thresholdDb;
    /** Per-frame speech flag after merging (index = sample / FRAME). */
    public final boolean[] speech;
    public final double[] levelDb;

    private SpeechBoundaries(int start, int end, int split, int gapStart, int gapEnd, double thresholdDb, boolean[] speech, double[] levelDb) {
        this.start = start;
        this.end = end;
        this.split = split;
        this.splitGapStart = gapStart;
        this.splitGapEnd = gapEnd;
        this.thresholdDb = thresholdDb;
        this.speech = speech;
        this.levelDb = levelDb;
    }

    public static double[] levels(short[] s) {
        int n = s.length / FRAME;
        double[] db = new double[n];
        for (int f = 0; f < n; f++) {
            double sum = 0;
            for (int i = f * FRAME; i < (f + 1) * FRAME; i++) {
                double v = s[i] / 32768.0;
                sum += v * v;
            }
            db[f] = 10 * Math.log10(Math.max(sum / FRAME, 1e-12));
        }
        return db;
    }

    public static SpeechBoundaries of(short[] s) {
        double[] db = levels(s);
        int n = db.length;
        double[] sorted = db.clone();
        java.util.Arrays.sort(sorted);
        double floor = sorted[(int) (0.1 * (n - 1))];
        double peak = sorted[n - 1];
        double thr = Math.max(floor + FLOOR_MARGIN_DB, peak - PEAK_RANGE_DB);
        boolean[] sp = new boolean[n];
        for (int f = 0; f < n; f++) {
            sp[f] = db[f] >= thr;
        }
        // close short gaps
        int last = -1;
        for (int f = 0; f < n; f++) {
            if (sp[f]) {
                if (last >= 0 && f - last - 1 > 0 && f - last - 1 < MERGE_GAP_FRAMES) {
                    for (int g = last + 1; g < f; g++) {
                        sp[g] = true;
                    }
                }
                last = f;
            }
        }
        // remove short islands
        for (int f = 0; f < n;) {
            if (!sp[f]) {
                f++;
                continue;
            }
            int g = f;
            while (g < n && sp[g]) {
                g++;
            }
            if (g - f < MIN_ISLAND_FRAMES) {
                for (int k = f; k < g; k++) {
                    sp[k] = false;
                }
            }
            f = g;
        }
        int first = -1;
        int lastF = -1;
        for (int f = 0; f < n; f++) {
            if (sp[f]) {
                if (first < 0) {
                    first = f;
                }
                lastF = f;
            }
        }
        if (first < 0) {
            throw new IllegalArgumentException("no speech found");
        }
        int lo = first + (int) (0.3 * (lastF - first));
        int hi = first + (int) (0.7 * (lastF - first));
        int bestStart = -1;
        int bestLen = 0;
        int quietest = lo;
        for (int f = lo; f <= hi; f++) {
            if (db[f] < db[quietest]) {
                quietest = f;
            }
            if (db[f] < thr && (f == lo || db[f - 1] >= thr)) {
                int g = f;
                while (g <= lastF && db[g] < thr) {
                    g++;
                }
                if (g - f > bestLen) {
                    bestLen = g - f;
                    bestStart = f;
                }
            }
        }
        int splitFrame = bestLen >= 2 ? bestStart + bestLen / 2 : quietest;
        int gapStart = bestLen >= 2 ? bestStart : splitFrame;
        int gapEnd = bestLen >= 2 ? bestStart + bestLen : splitFrame;
        return new SpeechBoundaries(first * FRAME, (lastF + 1) * FRAME, splitFrame * FRAME, gapStart * FRAME, gapEnd * FRAME, thr, sp, db);
    }
}
