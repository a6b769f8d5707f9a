package io.omnistream.gpu.encoders.face;

/**
 * One detected face in the 128×128 input's pixels (the caller maps it back through its letterbox): top-left corner,
 * size, score and BlazeFace's six keypoints (right eye, left eye, nose tip, mouth centre, right ear, left ear) as
 * x0, y0, x1, y1, …
 */
public record FaceBox(float x, float y, float width, float height, float score, float[] keypoints) {

    public float area() {
        return Math.max(0, width) * Math.max(0, height);
    }

    /** Intersection over union, 0 when the union is empty. */
    public float iou(FaceBox o) {
        float x1 = Math.max(x, o.x);
        float y1 = Math.max(y, o.y);
        float x2 = Math.min(x + width, o.x + o.width);
        float y2 = Math.min(y + height, o.y + o.height);
        float inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
        float union = area() + o.area() - inter;
        return union <= 0 ? 0 : inter / union;
    }

    /** This box in picture pixels, given the letterbox that produced the 128×128 input. */
    public FaceBox toPicture(float scale, float padX, float padY) {
        float[] kp = new float[keypoints.length];
        for (int i = 0; i < kp.length; i += 2) {
            kp[i] = (keypoints[i] - padX) / scale;
            kp[i + 1] = (keypoints[i + 1] - padY) / scale;
        }
        return new FaceBox((x - padX) / scale, (y - padY) / scale, width / scale, height / scale, score, kp);
    }
}
