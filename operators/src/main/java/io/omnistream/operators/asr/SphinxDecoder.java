package io.omnistream.operators.asr;

import com.sun.jna.Pointer;

/**
 * One loaded PocketSphinx decoder (acoustic model, dictionary, language model in memory).
 *
 * <p>Loading takes seconds and hundreds of megabytes, so decoders are created once per operator
 * instance by {@link SphinxDecoderPool} and reused turn after turn. What a decoder adapts to the audio it hears —
 * the live cepstral mean and the noise estimate — would carry over into the next session's turn and make its text
 * depend on which decoder it got; {@link #start(float[])} begins each segment from the session's own mean and a fresh
 * noise estimate instead. Not thread-safe: one turn at a time.
 */
public final class SphinxDecoder implements AutoCloseable {
    private final PocketSphinxLibrary lib;
    private Pointer config;
    private Pointer decoder;
    private boolean inUtterance;
    /** The live cepstral mean normalisation's state ({@code cmn_t *}), or null where it could not be found. */
    private final Pointer cmn;
    /** Its vector length ({@code cmn_t.veclen}, the cepstrum size; 0 without it). */
    private final int cmnLength;
    private final float[] initialMean;

    SphinxDecoder(PocketSphinxLibrary lib, String hmm, String lm, String dict, boolean fastFinal) {
        this.lib = lib;
        this.config = lib.cmd_ln_init(null, lib.ps_args(), 1,
                "-hmm", hmm, "-lm", lm, "-dict", dict,
                "-logfn", "/dev/null",
                "-fwdflat", fastFinal ? "no" : "yes",
                "-bestpath", fastFinal ? "no" : "yes",
                null);
        if (config == null) {
            throw new IllegalStateException("PocketSphinx rejected its configuration (hmm=" + hmm + ", lm=" + lm + ", dict=" + dict + ")");
        }
        this.decoder = lib.ps_init(config);
        if (decoder == null) {
            lib.cmd_ln_free_r(config);
            config = null;
            throw new IllegalStateException("PocketSphinx could not load its models from " + hmm);
        }
        this.cmn = findCmn(lib, decoder);
        this.cmnLength = cmn == null ? 0 : cmn.getInt(CMN_VECLEN);
        this.initialMean = cepstralMean();
    }

    /** Offset of {@code cmn_struct} in SphinxBase 5prealpha's {@code feat_t} on LP64 (checked before use). */
    private static final long FEAT_CMN_STRUCT_OFFSET = 88;
    /**
     * SphinxBase 5prealpha's {@code cmn_t} on LP64: {@code mfcc_t *cmn_mean, *cmn_var, *sum; int32 nframe, veclen}
     * (mfcc_t = float in Debian's floating-point build).
     */
    private static final long CMN_MEAN = 0;
    private static final long CMN_SUM = 16;
    private static final long CMN_NFRAME = 24;
    private static final long CMN_VECLEN = 28;

    /**
     * The decoder's {@code cmn_t}: {@code feat_t.cmn_struct}, accepted only if its vector length equals the feature's
     * cepstrum size ({@code feat_t.cepsize}, 13 for these models) and its frame count is sane; otherwise null, and the
     * mean is left to the decoder (logged).
     */
    private static Pointer findCmn(PocketSphinxLibrary lib, Pointer decoder) {
        try {
            Pointer feat = lib.ps_get_feat(decoder);
            if (feat == null) {
                return null;
            }
            int cepsize = feat.getInt(16);
            Pointer c = feat.getPointer(FEAT_CMN_STRUCT_OFFSET);
            if (cepsize > 0 && cepsize <= 64 && c != null && c.getInt(CMN_VECLEN) == cepsize && c.getInt(CMN_NFRAME) >= 0
                    && c.getPointer(CMN_MEAN) != null && c.getPointer(CMN_SUM) != null) {
                return c;
            }
            org.slf4j.LoggerFactory.getLogger(SphinxDecoder.class).warn(
                    "PocketSphinx's cepstral mean not found (cepsize {}): it carries over from utterance to utterance", cepsize);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            org.slf4j.LoggerFactory.getLogger(SphinxDecoder.class).warn("PocketSphinx's cepstral mean not reachable: {}", e.toString());
        }
        return null;
    }

    /**
     * The live cepstral mean normalisation's state as it stands — the mean, the running sum and the frame count it
     * decays over, as {@code [mean..., sum..., nframe]} — or null where it is not reachable. PocketSphinx updates it
     * from the audio it hears, across utterances.
     */
    public float[] cepstralMean() {
        if (cmn == null) {
            return null;
        }
        int n = cmnLength;
        float[] v = new float[2 * n + 1];
        cmn.getPointer(CMN_MEAN).read(0, v, 0, n);
        cmn.getPointer(CMN_SUM).read(0, v, n, n);
        v[2 * n] = cmn.getInt(CMN_NFRAME);
        return v;
    }

    /**
     * Starts a new utterance from the given cepstral mean state ({@link #cepstralMean()}; null: the model's initial
     * one) and a fresh noise estimate ({@code ps_start_stream}), so that what a decoder heard before — another
     * session's audio — does not change what it hears now.
     */
    public void start(float[] cepstralMean) {
        if (inUtterance) {
            lib.ps_end_utt(decoder);
            inUtterance = false;
        }
        float[] state = cepstralMean != null ? cepstralMean : initialMean;
        if (cmn != null && state != null && state.length == 2 * cmnLength + 1) {
            int n = cmnLength;
            cmn.getPointer(CMN_MEAN).write(0, state, 0, n);
            cmn.getPointer(CMN_SUM).write(0, state, n, n);
            cmn.setInt(CMN_NFRAME, (int) state[2 * n]);
        }
        check(lib.ps_start_stream(decoder), "ps_start_stream"); // the noise estimate starts afresh too
        start();
    }

    /** Starts a new utterance; any previous one is ended and forgotten. */
    public void start() {
        if (inUtterance) {
            lib.ps_end_utt(decoder);
        }
        check(lib.ps_start_utt(decoder), "ps_start_utt");
        inUtterance = true;
    }

    /** Feeds 16 kHz mono samples. */
    public void process(short[] samples, int n) {
        if (!inUtterance) {
            start();
        }
        if (n > 0) {
            check(lib.ps_process_raw(decoder, samples, n, 0, 0), "ps_process_raw");
        }
    }

    /** The current best hypothesis (partial while the utterance runs), never null. */
    public String hypothesis() {
        String hyp = lib.ps_get_hyp(decoder, new int[1]);
        return hyp == null ? "" : hyp.trim();
    }

    /** Ends the utterance and returns its final hypothesis. */
    public String finish() {
        if (!inUtterance) {
            return "";
        }
        lib.ps_end_utt(decoder);
        inUtterance = false;
        return hypothesis();
    }

    public boolean inUtterance() {
        return inUtterance;
    }

    private static void check(int rc, String what) {
        if (rc < 0) {
            throw new IllegalStateException(what + " failed: " + rc);
        }
    }

    @Override
    public void close() {
        if (decoder != null) {
            lib.ps_free(decoder);
            decoder = null;
        }
        if (config != null) {
            lib.cmd_ln_free_r(config);
            config = null;
        }
    }
}
