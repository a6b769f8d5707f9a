package io.omnistream.gpu.encoders.face;

import java.util.List;

/**
 * The faces found in one JPEG camera picture of a batch ({@link BlazeFaceEncoder#detectJpeg}), in the picture's own
 * pixels, with the picture's size — or, when the picture could not be decoded, no faces and the decoder's reason.
 * Exists so that a bad picture is reported (and counted by the caller) for that picture alone while the rest of the
 * batch is detected; an empty face list alone could not tell "no face" from "no picture".
 *
 * @param width  picture width in pixels (0 when not decoded)
 * @param height picture height in pixels (0 when not decoded)
 * @param faces  faces, best first; empty when none or not decoded
 * @param error  why the picture could not be decoded, {@code null} when it was
 */
public record JpegFaces(int width, int height, List<FaceBox> faces, String error) {

    public JpegFaces {
        faces = List.copyOf(faces);
    }

    static JpegFaces found(int width, int height, List<FaceBox> faces) {
        return new JpegFaces(width, height, faces, null);
    }

    static JpegFaces undecodable(String error) {
        return new JpegFaces(0, 0, List.of(), error == null ? "not decodable" : error);
    }

    public boolean decoded() {
        return error == null;
    }

    /** Pictures of {@code batch} that could not be decoded. */
    public static int failures(List<JpegFaces> batch) {
        int n = 0;
        for (JpegFaces f : batch) {
            n += f.decoded() ? 0 : 1;
        }
        return n;
    }
}
