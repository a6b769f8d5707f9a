package io.omnistream.gpu.runtime;

import static org.bytedeco.cuda.global.cudart.cuMemAllocHost;
import static org.bytedeco.cuda.global.cudart.cuMemFreeHost;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.Pointer;

/**
 * Page-locked host memory, so copies to and from the device run asynchronously at full PCIe speed. Reused
 * across batches through {@link CudaContext#pinned(String, long)}; grows like {@link DeviceMemoryPool}.
 */
public final class PinnedBuffer implements AutoCloseable {

    private final Pointer ptr = new Pointer();
    private final long bytes;
    private final ByteBuffer buffer;

    PinnedBuffer(long bytes) {
        this.bytes = bytes;
        Cu.check(cuMemAllocHost(ptr, bytes), "cuMemAllocHost(" + bytes + ")");
        ptr.capacity(bytes);
        buffer = ptr.asByteBuffer().order(ByteOrder.nativeOrder());
    }

    public long bytes() {
        return bytes;
    }

    /** A fresh view over the whole buffer (position 0, native byte order). */
    public ByteBuffer buffer() {
        return buffer.duplicate().clear().order(ByteOrder.nativeOrder());
    }

    Pointer pointer() {
        return ptr;
    }

    @Override
    public void close() {
        cuMemFreeHost(ptr);
    }
}
