package io.omnistream.operators.gpu;

import java.nio.ByteBuffer;

/**
 * The screen segment's token: a new screen picture decoded at 1/8 scale in grey (libjpeg scales in the DCT domain,
 * so this is cheap) and area-averaged to a 16 x 8 thumbnail (the router's {@code ScreenThumbnail}), values in [-0.5, 0.5]. Only pictures that changed
 * become tokens, so a static screen costs nothing.
 */
public final class ScreenToken {
    private ScreenToken() {}

    /** The token, or null when the JPEG cannot be decoded. */
    public static float[] of(ByteBuffer jpeg) {
        byte[] px = io.omnistream.operators.route.ScreenThumbnail.of(jpeg, GpuStagesConfig.SCREEN_THUMB_WIDTH,
                GpuStagesConfig.SCREEN_THUMB_HEIGHT);
        if (px == null) {
            return null;
        }
        float[] out = new float[px.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (px[i] & 0xFF) / 255f - 0.5f;
        }
        return out;
    }
}
