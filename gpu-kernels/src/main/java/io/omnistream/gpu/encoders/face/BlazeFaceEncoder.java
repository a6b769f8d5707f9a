package io.omnistream.gpu.encoders.face;

import io.omnistream.gpu.image.BadJpegException;
import io.omnistream.gpu.image.I420Frames;
import io.omnistream.gpu.image.I420LetterboxTwin;
import io.omnistream.gpu.image.JdkJpegDecoder;
import io.omnistream.gpu.image.Letterbox;
import io.omnistream.gpu.image.RgbLetterboxTwin;
import io.omnistream.gpu.image.RgbPicture;
import java.util.ArrayList;
import java.util.List;

/**
 * MediaPipe BlazeFace (front camera, 128×128) as the project's own layer sequence, batched across sessions' camera
 * frames: one {@link #forward} runs the network on every frame of the batch. It exists so that all sessions' frames
 * of a tick go through the detector together (on the GPU: one launch sequence) instead of one ONNX Runtime call per
 * frame. Anchor decoding and non-maximum suppression are {@link BlazeFaceDecoder}'s.
 *
 * <p>The network, as in {@code face_detection_front_128x128.onnx} ({@link BlazeFaceWeights} checks the file): a
 * 5×5 stride-2 convolution 3→24 + ReLU (TensorFlow "same" padding: 1 before, 2 after), then 16 residual blocks
 * {@code ReLU(pointwise(depthwise3x3(x)) + shortcut(x))} where the shortcut is {@code x}, 2×2-max-pooled when the
 * block strides by 2 and zero-padded in channels when the block widens; heads are 1×1 convolutions on the 16×16×88
 * map (2 anchors per cell) and on the 8×8×96 map (6 anchors per cell).
 *
 * <p>Input: NHWC {@code [n][128][128][3]} RGB in [-1, 1] (what {@code FrameResizer} produces). Output per frame: 896
 * score logits and 896 × 16 box regressions (centre offset x, y, width, height, then 6 keypoints x, y), in input
 * pixels relative to the anchor centre, anchors ordered 16×16×2 then 8×8×6 like the model's outputs
 * {@code Identity:0 ++ Identity_1:0} and {@code Identity_2:0 ++ Identity_3:0}.
 */
public interface BlazeFaceEncoder extends AutoCloseable {
    int INPUT = 128;
    int CHANNELS = 3;
    int IMAGE = INPUT * INPUT * CHANNELS;
    int ANCHORS_16 = 16 * 16 * 2;
    int ANCHORS_8 = 8 * 8 * 6;
    int ANCHORS = ANCHORS_16 + ANCHORS_8;
    int BOX = 16;

    /**
     * @param images    {@code n * IMAGE} floats, NHWC
     * @param n         number of frames, may be 0
     * @param scoresOut receives {@code n * ANCHORS} logits
     * @param boxesOut  receives {@code n * ANCHORS * BOX} regressions
     */
    void forward(float[] images, int n, float[] scoresOut, float[] boxesOut);

    /**
     * Faces in many sessions' camera frames (I420, any sizes), in each frame's own pixels, best first: the frames
     * letterboxed into 128×128 inputs as the operators' detector does ({@link I420LetterboxTwin}), the network, then
     * {@code decoder}'s anchor decoding and weighted NMS, mapped back through each frame's {@link Letterbox}. This
     * default is the specification (all on the host); {@link BlazeFaceCuda} does the same from one upload of the
     * frames, with everything up to the candidate detections on the device.
     */
    default List<List<FaceBox>> detectI420(I420Frames frames, BlazeFaceDecoder decoder) {
        int n = frames.size();
        float[] images = new float[n * IMAGE];
        I420LetterboxTwin.letterbox(frames, images);
        float[] scores = new float[n * ANCHORS];
        float[] boxes = new float[n * ANCHORS * BOX];
        forward(images, n, scores, boxes);
        List<List<FaceBox>> out = new ArrayList<>(n);
        for (int f = 0; f < n; f++) {
            out.add(toPicture(decoder.decode(scores, boxes, f), frames.letterbox(f)));
        }
        return out;
    }

    /**
     * Faces in many sessions' JPEG camera pictures (any sizes), in each picture's own pixels, best first — the camera
     * path of the job, whose pictures travel as JPEG. This default is the specification: each picture decoded on the
     * host by the JDK ({@link JdkJpegDecoder}), then {@link #detectRgb}. {@link BlazeFaceCuda} uploads only the JPEG
     * bytes and decodes them on the device with nvJPEG, straight into the letterbox kernel and the network.
     *
     * <p>A picture that cannot be decoded gives {@link JpegFaces#undecodable} with the reason, and does not affect the
     * other pictures of the batch.
     */
    default List<JpegFaces> detectJpeg(List<byte[]> jpegs, BlazeFaceDecoder decoder) {
        List<RgbPicture> decoded = new ArrayList<>(jpegs.size());
        String[] errors = new String[jpegs.size()];
        for (int i = 0; i < jpegs.size(); i++) {
            try {
                decoded.add(JdkJpegDecoder.decode(jpegs.get(i)));
            } catch (BadJpegException e) {
                errors[i] = e.getMessage();
            }
        }
        List<List<FaceBox>> faces = detectRgb(decoded, decoder);
        List<JpegFaces> out = new ArrayList<>(jpegs.size());
        int d = 0;
        for (String error : errors) {
            if (error != null) {
                out.add(JpegFaces.undecodable(error));
            } else {
                RgbPicture p = decoded.get(d);
                out.add(JpegFaces.found(p.width(), p.height(), faces.get(d++)));
            }
        }
        return out;
    }

    /**
     * Faces in decoded RGB pictures (any sizes), in each picture's own pixels: {@link RgbLetterboxTwin}, the network,
     * then {@code decoder} and each picture's {@link Letterbox}. The host half of {@link #detectJpeg}'s specification.
     */
    default List<List<FaceBox>> detectRgb(List<RgbPicture> pictures, BlazeFaceDecoder decoder) {
        int n = pictures.size();
        float[] images = new float[n * IMAGE];
        for (int i = 0; i < n; i++) {
            RgbLetterboxTwin.letterbox(pictures.get(i), images, i * IMAGE);
        }
        float[] scores = new float[n * ANCHORS];
        float[] boxes = new float[n * ANCHORS * BOX];
        forward(images, n, scores, boxes);
        List<List<FaceBox>> out = new ArrayList<>(n);
        for (int f = 0; f < n; f++) {
            out.add(toPicture(decoder.decode(scores, boxes, f), pictures.get(f).letterbox()));
        }
        return out;
    }

    /** Faces in 128×128 input pixels → the frame's pixels. */
    static List<FaceBox> toPicture(List<FaceBox> faces, Letterbox g) {
        List<FaceBox> out = new ArrayList<>(faces.size());
        for (FaceBox f : faces) {
            out.add(f.toPicture(g.scale(), g.padX(), g.padY()));
        }
        return out;
    }

    default boolean onGpu() {
        return false;
    }

    /**
     * Whether {@link #detectJpeg} decodes the pictures on the GPU (so callers should hand it JPEG bytes rather than
     * decode on the host); false for the specification, which decodes on the host anyway.
     */
    default boolean decodesJpegOnDevice() {
        return false;
    }

    @Override
    default void close() {}

    static void checkArgs(float[] images, int n, float[] scoresOut, float[] boxesOut) {
        if (n < 0) {
            throw new IllegalArgumentException("n < 0: " + n);
        }
        if (images.length < (long) n * IMAGE) {
            throw new IllegalArgumentException("images holds " + images.length + " floats, need " + (long) n * IMAGE);
        }
        if (scoresOut.length < (long) n * ANCHORS) {
            throw new IllegalArgumentException("scoresOut holds " + scoresOut.length + ", need " + (long) n * ANCHORS);
        }
        if (boxesOut.length < (long) n * ANCHORS * BOX) {
            throw new IllegalArgumentException("boxesOut holds " + boxesOut.length + ", need " + (long) n * ANCHORS * BOX);
        }
    }
}
