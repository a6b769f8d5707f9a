package io.omnistream.operators.tts;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The espeak-ng C API (libespeak-ng1 from Debian) as far as synchronous synthesis into memory needs
 * it, bound through JNA. espeak-ng keeps global state: only {@link EspeakEngine} calls it, from one
 * thread.
 */
public interface EspeakLibrary extends Library {
    int AUDIO_OUTPUT_SYNCHRONOUS = 2;
    int ESPEAK_CHARS_UTF8 = 1;
    int POS_CHARACTER = 1;
    int ESPEAK_RATE = 1;

    static EspeakLibrary load(String path) {
        return Native.load(path, EspeakLibrary.class);
    }

    /** {@code int (t_espeak_callback)(short* wav, int numsamples, espeak_EVENT* events)}; return 1 to abort. */
    interface SynthCallback extends Callback {
        int invoke(Pointer wav, int numSamples, Pointer events);
    }

    /** Returns the sample rate in Hz, or -1 on error. */
    int espeak_Initialize(int output, int bufLengthMillis, String path, int options);

    void espeak_SetSynthCallback(SynthCallback cb);

    int espeak_SetVoiceByName(String name);

    int espeak_SetParameter(int parameter, int value, int relative);

    int espeak_Synth(byte[] text, long size, int position, int positionType, int endPosition, int flags, Pointer uniqueId,
            Pointer userData);

    int espeak_Terminate();
}
