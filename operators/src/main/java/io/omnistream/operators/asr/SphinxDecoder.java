package io.omnistream.operators.asr;

import com.sun.jna.Pointer;

/**
 * One loaded PocketSphinx decoder (acoustic model, dictionary, language model in memory).
 *
 * <p>Loading takes seconds and hundreds of megabytes, so decoders are created once per operator
 * instance by {@link SphinxDecoderPool} and reused turn after turn. Not thread-safe: one turn at a
 * time.
 */
public final class SphinxDecoder implements AutoCloseable {
    private final PocketSphinxLibrary lib;
    private Pointer config;
    private Pointer decoder;
    private boolean inUtterance;

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
