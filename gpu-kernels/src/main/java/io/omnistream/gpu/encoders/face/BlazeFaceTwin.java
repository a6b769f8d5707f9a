package io.omnistream.gpu.encoders.face;

import java.util.List;

/**
 * The pure-Java {@link BlazeFaceEncoder}: specification of the GPU implementation and fallback without a GPU. fp32,
 * activations NCHW per frame; frames are independent, so a batch gives exactly what each frame gives alone.
 */
public final class BlazeFaceTwin implements BlazeFaceEncoder {
    private static final int STEM = 64;

    private final BlazeFaceWeights w;
    private final float[] a = new float[96 * STEM * STEM];
    private final float[] b = new float[96 * STEM * STEM];
    private final float[] d = new float[96 * STEM * STEM];
    private final float[] head16 = new float[88 * 16 * 16];
    private final float[] head = new float[96 * 16 * 16];

    public BlazeFaceTwin(BlazeFaceWeights weights) {
        this.w = weights;
    }

    @Override
    public void forward(float[] images, int n, float[] scoresOut, float[] boxesOut) {
        BlazeFaceEncoder.checkArgs(images, n, scoresOut, boxesOut);
        for (int i = 0; i < n; i++) {
            one(images, i * IMAGE, scoresOut, i * ANCHORS, boxesOut, i * ANCHORS * BOX);
        }
    }

    private void one(float[] img, int imgOff, float[] scores, int sOff, float[] boxes, int bOff) {
        stem(img, imgOff, a);
        float[] x = a;
        float[] y = b;
        int size = STEM;
        List<BlazeFaceWeights.Block> blocks = BlazeFaceWeights.BLOCKS;
        for (int k = 0; k < blocks.size(); k++) {
            BlazeFaceWeights.Block blk = blocks.get(k);
            int out = blk.stride() == 1 ? size : size / 2;
            depthwise(x, d, blk.in(), size, out, blk.stride(), w.dwW[k]);
            pointwiseResidual(d, x, y, blk.in(), blk.out(), size, out, blk.stride(), w.pwW[k], w.pwB[k]);
            float[] t = x;
            x = y;
            y = t;
            size = out;
            if (k == BlazeFaceWeights.HEAD16_BLOCK) {
                System.arraycopy(x, 0, head16, 0, blk.out() * size * size);
            }
        }
        // 16×16 heads on block 10's output, 8×8 heads on the last block's.
        heads(head16, 16, 0, 2, 0, scores, sOff, boxes, bOff);
        heads(x, 8, 2, 6, ANCHORS_16, scores, sOff, boxes, bOff);
    }

    /** 5×5 stride-2 conv of the NHWC input with padding 1 before / 2 after, + bias, ReLU. */
    private void stem(float[] img, int off, float[] out) {
        int k = BlazeFaceWeights.STEM_KERNEL;
        for (int o = 0; o < BlazeFaceWeights.STEM_OUT; o++) {
            for (int y = 0; y < STEM; y++) {
                for (int x = 0; x < STEM; x++) {
                    float s = w.stemB[o];
                    for (int c = 0; c < CHANNELS; c++) {
                        for (int ky = 0; ky < k; ky++) {
                            int iy = 2 * y - 1 + ky;
                            if (iy < 0 || iy >= INPUT) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = 2 * x - 1 + kx;
                                if (ix < 0 || ix >= INPUT) {
                                    continue;
                                }
                                s += w.stemW[((o * CHANNELS + c) * k + ky) * k + kx] * img[off + (iy * INPUT + ix) * CHANNELS + c];
                            }
                        }
                    }
                    out[(o * STEM + y) * STEM + x] = Math.max(s, 0f);
                }
            }
        }
    }

    /** 3×3 depthwise conv, no bias: stride 1 pads 1 all round; stride 2 pads 0 before, 1 after. */
    private static void depthwise(float[] in, float[] out, int channels, int size, int outSize, int stride, float[] wt) {
        int before = stride == 1 ? 1 : 0;
        for (int c = 0; c < channels; c++) {
            int plane = c * size * size;
            for (int y = 0; y < outSize; y++) {
                for (int x = 0; x < outSize; x++) {
                    float s = 0f;
                    for (int ky = 0; ky < 3; ky++) {
                        int iy = y * stride - before + ky;
                        if (iy < 0 || iy >= size) {
                            continue;
                        }
                        for (int kx = 0; kx < 3; kx++) {
                            int ix = x * stride - before + kx;
                            if (ix < 0 || ix >= size) {
                                continue;
                            }
                            s += wt[c * 9 + ky * 3 + kx] * in[plane + iy * size + ix];
                        }
                    }
                    out[(c * outSize + y) * outSize + x] = s;
                }
            }
        }
    }

    /**
     * {@code out = ReLU(W·d + bias + shortcut)}, the shortcut being the block input ({@code x}), 2×2 max-pooled when
     * the block strides, zero in the channels the block adds.
     */
    private static void pointwiseResidual(float[] dw, float[] x, float[] out, int cin, int cout, int size, int outSize,
            int stride, float[] wt, float[] bias) {
        int pix = outSize * outSize;
        for (int o = 0; o < cout; o++) {
            for (int p = 0; p < pix; p++) {
                float s = bias[o];
                for (int c = 0; c < cin; c++) {
                    s += wt[o * cin + c] * dw[c * pix + p];
                }
                float shortcut = 0f;
                if (o < cin) {
                    if (stride == 1) {
                        shortcut = x[o * pix + p];
                    } else {
                        int yy = 2 * (p / outSize);
                        int xx = 2 * (p % outSize);
                        int base = o * size * size;
                        shortcut = Math.max(Math.max(x[base + yy * size + xx], x[base + yy * size + xx + 1]),
                                Math.max(x[base + (yy + 1) * size + xx], x[base + (yy + 1) * size + xx + 1]));
                    }
                }
                out[o * pix + p] = Math.max(s + shortcut, 0f);
            }
        }
    }

    /** Score and box heads (1×1 convs) of one feature map, written in the model's anchor order. */
    private void heads(float[] map, int size, int firstHead, int anchorsPerCell, int anchorBase, float[] scores, int sOff,
            float[] boxes, int bOff) {
        int pix = size * size;
        int cin = BlazeFaceWeights.HEAD_IN[firstHead];
        for (int h = firstHead; h < firstHead + 2; h++) {
            int cout = BlazeFaceWeights.HEAD_OUT[h];
            for (int o = 0; o < cout; o++) {
                for (int p = 0; p < pix; p++) {
                    float s = w.headB[h][o];
                    for (int c = 0; c < cin; c++) {
                        s += w.headW[h][o * cin + c] * map[c * pix + p];
                    }
                    head[o * pix + p] = s;
                }
            }
            for (int p = 0; p < pix; p++) {
                for (int an = 0; an < anchorsPerCell; an++) {
                    int anchor = anchorBase + p * anchorsPerCell + an;
                    if (h == firstHead) {
                        scores[sOff + anchor] = head[an * pix + p];
                    } else {
                        for (int k = 0; k < BOX; k++) {
                            boxes[bOff + anchor * BOX + k] = head[(an * BOX + k) * pix + p];
                        }
                    }
                }
            }
        }
    }
}
