package io.omnistream.operators.route;

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
 * The cheap screen-change signal: a screen JPEG decoded at 1/8 scale in grey (libjpeg scales in the DCT
 * domain, so this costs a fraction of a full decode) and area-averaged to a fixed small thumbnail; two
 * thumbnails are compared by the fraction of pixels whose grey level moved noticeably. A blinking cursor or a
 * ticking clock moves almost nothing, a new dialog or page moves a lot.
 */
public final class ScreenThumbnail {
    private ScreenThumbnail() {}

    /** The thumbnail, or null when the JPEG cannot be decoded. */
    public static byte[] of(ByteBuffer jpeg, int width, int height) {
        if (jpeg == null || jpeg.remaining() == 0) {
            return null;
        }
        byte[] bytes = new byte[jpeg.remaining()];
        jpeg.duplicate().get(bytes);
        try (BytePointer bp = new BytePointer(bytes);
                Mat buf = new Mat(1, bytes.length, CV_8UC1, bp);
                Mat grey = imdecode(buf, IMREAD_REDUCED_GRAYSCALE_8)) {
            if (grey == null || grey.empty()) {
                return null;
            }
            try (Mat small = new Mat()) {
                resize(grey, small, new Size(width, height), 0, 0, INTER_AREA);
                byte[] out = new byte[width * height];
                small.data().get(out);
                return out;
            }
        }
    }

    /** Fraction (0..1) of pixels that moved by more than {@code pixelDelta}; 1 when either is missing. */
    public static float changedFraction(byte[] a, byte[] b, int pixelDelta) {
        if (a == null || b == null || a.length != b.length || a.length == 0) {
            return 1f;
        }
        int changed = 0;
        for (int i = 0; i < a.length; i++) {
            if (Math.abs((a[i] & 0xff) - (b[i] & 0xff)) > pixelDelta) {
                changed++;
            }
        }
        return (float) changed / a.length;
    }
}
