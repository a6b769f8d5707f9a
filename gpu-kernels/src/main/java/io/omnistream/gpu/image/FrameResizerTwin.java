package io.omnistream.gpu.image;

/** Pure-Java {@link FrameResizer}: the specification of kernel {@code omni_i420_resize}. */
public final class FrameResizerTwin implements FrameResizer {

    @Override
    public void resize(ResizeBatch batch, float[] out) {
        FrameResizer.check(batch, out);
        byte[] data = batch.data();
        int[] meta = batch.meta();
        float[] boxes = batch.boxes();
        int ow = batch.outWidth();
        int oh = batch.outHeight();
        float scale = batch.scale();
        float bias = batch.bias();
        boolean luma = batch.mode() == ResizeBatch.Mode.LUMA;
        for (int item = 0; item < batch.size(); item++) {
            int base = meta[item * 3];
            int w = meta[item * 3 + 1];
            int h = meta[item * 3 + 2];
            int cw = (w + 1) / 2;
            int ch = (h + 1) / 2;
            int uBase = base + w * h;
            int vBase = uBase + cw * ch;
            float bx = boxes[item * 4];
            float by = boxes[item * 4 + 1];
            float bw = boxes[item * 4 + 2];
            float bh = boxes[item * 4 + 3];
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int pix = oy * ow + ox;
                    float sx = bx + (ox + 0.5f) * (bw / ow) - 0.5f;
                    float sy = by + (oy + 0.5f) * (bh / oh) - 0.5f;
                    float yv = bilinear(data, base, w, h, sx, sy);
                    if (luma) {
                        out[item * ow * oh + pix] = yv * (1f / 255f) * scale + bias;
                        continue;
                    }
                    float cx = (sx + 0.5f) * 0.5f - 0.5f;
                    float cy = (sy + 0.5f) * 0.5f - 0.5f;
                    float u = bilinear(data, uBase, cw, ch, cx, cy) - 128f;
                    float v = bilinear(data, vBase, cw, ch, cx, cy) - 128f;
                    float yy = 1.164f * (yv - 16f);
                    float r = clamp(yy + 1.596f * v);
                    float g = clamp(yy - 0.813f * v - 0.391f * u);
                    float b = clamp(yy + 2.018f * u);
                    int o = (item * ow * oh + pix) * 3;
                    out[o] = r * (1f / 255f) * scale + bias;
                    out[o + 1] = g * (1f / 255f) * scale + bias;
                    out[o + 2] = b * (1f / 255f) * scale + bias;
                }
            }
        }
    }

    private static float clamp(float v) {
        return Math.min(Math.max(v, 0f), 255f);
    }

    private static float bilinear(byte[] p, int off, int w, int h, float sx, float sy) {
        sx = Math.min(Math.max(sx, 0f), w - 1);
        sy = Math.min(Math.max(sy, 0f), h - 1);
        int x0 = (int) sx;
        int y0 = (int) sy;
        int x1 = Math.min(x0 + 1, w - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        float fx = sx - x0;
        float fy = sy - y0;
        float a = p[off + y0 * w + x0] & 0xff;
        float b = p[off + y0 * w + x1] & 0xff;
        float c = p[off + y1 * w + x0] & 0xff;
        float d = p[off + y1 * w + x1] & 0xff;
        float top = a + (b - a) * fx;
        float bot = c + (d - c) * fx;
        return top + (bot - top) * fy;
    }
}
