package io.omnistream.operators.perception;

/** Kinds of bad input the perception operator counts, skips and logs once per session. */
public enum BadInput {
    AUDIO_WRONG_LENGTH("perceptionBadAudioLength"),
    AUDIO_OVERSIZED("perceptionOversizedAudio"),
    AUDIO_EMPTY("perceptionEmptyAudio"),
    NON_FINITE("perceptionNonFiniteSamples"),
    JPEG_CORRUPT("perceptionCorruptJpeg"),
    JPEG_OVERSIZED("perceptionOversizedJpeg"),
    MODEL_ERROR("perceptionModelErrors");

    /** Flink counter name. */
    public final String counter;

    BadInput(String counter) {
        this.counter = counter;
    }
}
