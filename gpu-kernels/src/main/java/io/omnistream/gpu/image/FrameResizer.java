package io.omnistream.gpu.image;

/**
 * Crops, resizes and normalises a {@link ResizeBatch} of I420 frames into model input tensors
 * ({@code batch.size()} items of {@code batch.itemFloats()} floats each, item after item).
 */
public interface FrameResizer extends AutoCloseable {

    void resize(ResizeBatch batch, float[] out);

    default boolean onGpu() {
        return false;
    }

    @Override
    default void close() {}

    static void check(ResizeBatch batch, float[] out) {
        if (out.length < batch.outputFloats()) {
            throw new IllegalArgumentException("out holds " + out.length + " floats, need " + batch.outputFloats());
        }
    }
}
