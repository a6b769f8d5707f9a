package io.omnistream.gpu.image;

/**
 * A camera picture that a JPEG decoder (the JDK's or nvJPEG) refuses: not a JPEG, truncated headers, an unsupported
 * colour model or a size beyond {@link RgbPicture#MAX_SIDE}. Exists so that one bad picture of a batch is reported
 * for that picture alone, with the decoder's reason, and the rest of the batch is detected as usual.
 */
public final class BadJpegException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadJpegException(String message) {
        super(message);
    }

    public BadJpegException(String message, Throwable cause) {
        super(message, cause);
    }
}
