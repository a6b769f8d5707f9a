package io.omnistream.operators.asr;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few C entry points of Debian's PocketSphinx 5prealpha (libpocketsphinx3) and SphinxBase that
 * streaming recognition needs, bound through JNA so that the operator needs no JNI code of its own.
 */
public interface PocketSphinxLibrary extends Library {

    /** Loads the library from its versioned Debian file name (no -dev package is needed). */
    static PocketSphinxLibrary load(String pocketSphinxPath) {
        return Native.load(pocketSphinxPath, PocketSphinxLibrary.class);
    }

    /** Argument definitions of the decoder ({@code ps_args()}). */
    Pointer ps_args();

    /** {@code cmd_ln_init(NULL, ps_args(), strict, "-key", "value", ..., NULL)}. */
    Pointer cmd_ln_init(Pointer inout, Pointer defn, int strict, Object... keyValuesNullTerminated);

    int cmd_ln_free_r(Pointer config);

    Pointer ps_init(Pointer config);

    int ps_free(Pointer decoder);

    int ps_start_utt(Pointer decoder);

    /** Starts a new stream: channel parameters such as the noise level are re-initialised. */
    int ps_start_stream(Pointer decoder);

    int ps_process_raw(Pointer decoder, short[] data, long nSamples, int noSearch, int fullUtt);

    int ps_end_utt(Pointer decoder);

    String ps_get_hyp(Pointer decoder, int[] outBestScore);

    int ps_get_prob(Pointer decoder);

    /** The decoder's feature computation ({@code feat_t *}); its {@code cmn_struct} holds the live cepstral mean. */
    Pointer ps_get_feat(Pointer decoder);
}
