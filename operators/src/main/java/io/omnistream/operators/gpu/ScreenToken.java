package io.omnistream.operators.gpu;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_GRAYSCALE_8;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The screen segment's token: a new screen picture decoded at 1/8 scale in grey (libjpeg scales in the DCT domain,
 * so this is cheap) and area-averaged to a 16 x 8 thumbnail, values in [-0.5, 0.5]. Only pictures that changed
 * become tokens, so a static screen costs nothing.
 */
public final class ScreenToken {
    private ScreenToken() {}

    /** The token, or null when the JPEG cannot be decoded. */
    public static float[] of(ByteBuffer jpeg) {
        if (jpeg == null || jpeg.remaining() == 0) {
            return null;
        }
        int w = GpuStagesConfig.SCREEN_THUMB_WIDTH;
        int h = GpuStagesConfig.SCREEN_THUMB_HEIGHT;
        byte[] bytes = new byte[jpeg.remaining()];
        jpeg.duplicate().get(bytes);
        try (BytePointer bp = new BytePointer(bytes);
                Mat buf = new Mat(1, bytes.length, CV_8UC1, bp);
                Mat grey = imdecode(buf, IMREAD_REDUCED_GRAYSCALE_8)) {
            if (grey == null || grey.empty()) {
                return null;
            }
            try (Mat small = new Mat()) {
                resize(grey, small, new Size(w, h), 0, 0, INTER_AREA);
                byte[] px = new byte[w * h];
                small.data().get(px);
                float[] out = new float[w * h];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (px[i] & 0xFF) / 255f - 0.5f;
                }
                return out;
            }
        }
    }
}
