package io.omnistream.operators.gpu;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.image.FrameResizer;
import io.omnistream.gpu.image.ResizeBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link BatchKernel} turning many sessions' I420 frames into BlazeFace inputs or mouth crops in one launch
 * per purpose (the batch group).
 */
public final class FrameCropKernel implements BatchKernel<FrameCropRequest, ModelInput> {
    private static final long serialVersionUID = 1L;

    private final int mouthSize;
    private transient FrameResizer resizer;

    public FrameCropKernel() {
        this(ResizeBatch.DEFAULT_MOUTH_SIZE);
    }

    public FrameCropKernel(int mouthSize) {
        this.mouthSize = mouthSize;
    }

    @Override
    public void open() {
        resizer = Kernels.frameResizer();
    }

    @Override
    public boolean onGpu() {
        return resizer != null && resizer.onGpu();
    }

    @Override
    public int group(FrameCropRequest r) {
        return r.purpose == null ? -1 : r.purpose.ordinal();
    }

    @Override
    public void validate(FrameCropRequest r) {
        if (r.purpose == null || r.i420 == null || r.width <= 0 || r.height <= 0
                || r.i420.length < ResizeBatch.i420Bytes(r.width, r.height)) {
            throw new IllegalArgumentException("malformed frame of session " + r.sessionId);
        }
        if (r.purpose == FrameCropRequest.Purpose.MOUTH && (r.box == null || r.box.length != 4 || !(r.box[2] > 0) || !(r.box[3] > 0))) {
            throw new IllegalArgumentException("mouth crop of session " + r.sessionId + " needs a box");
        }
    }

    @Override
    public List<ModelInput> run(int group, List<FrameCropRequest> batch) {
        boolean face = group == FrameCropRequest.Purpose.FACE.ordinal();
        ResizeBatch b = face ? ResizeBatch.blazeFace() : ResizeBatch.mouth(mouthSize);
        for (FrameCropRequest r : batch) {
            if (face || r.box == null) {
                b.add(r.i420, r.width, r.height);
            } else {
                b.add(r.i420, 0, r.width, r.height, r.box[0], r.box[1], r.box[2], r.box[3]);
            }
        }
        float[] all = new float[b.outputFloats()];
        resizer.resize(b, all);
        List<ModelInput> out = new ArrayList<>(batch.size());
        int per = b.itemFloats();
        for (int i = 0; i < batch.size(); i++) {
            ModelInput m = new ModelInput();
            m.sessionId = batch.get(i).sessionId;
            m.timeMicros = batch.get(i).timeMicros;
            m.purpose = batch.get(i).purpose;
            m.width = b.outWidth();
            m.height = b.outHeight();
            m.channels = b.mode().channels;
            m.tensor = java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per);
            m.gpu = resizer.onGpu();
            out.add(m);
        }
        return out;
    }

    @Override
    public void close() {
        if (resizer != null) {
            resizer.close();
        }
    }
}
