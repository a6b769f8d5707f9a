package io.omnistream.gpu.runtime;

import static org.bytedeco.cuda.global.cudart.CU_EVENT_DEFAULT;
import static org.bytedeco.cuda.global.cudart.CU_STREAM_NON_BLOCKING;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRelease;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuEventCreate;
import static org.bytedeco.cuda.global.cudart.cuEventDestroy;
import static org.bytedeco.cuda.global.cudart.cuEventElapsedTime;
import static org.bytedeco.cuda.global.cudart.cuEventRecord;
import static org.bytedeco.cuda.global.cudart.cuEventSynchronize;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoDAsync;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoHAsync;
import static org.bytedeco.cuda.global.cudart.cuMemcpyHtoDAsync;
import static org.bytedeco.cuda.global.cudart.cuMemsetD8Async;
import static org.bytedeco.cuda.global.cudart.cuStreamCreate;
import static org.bytedeco.cuda.global.cudart.cuStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cuStreamSynchronize;

import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * Everything one operator instance needs on the GPU: the device's primary context, its own stream, the kernel
 * module, a device memory pool and pinned host staging buffers, all reused across batches and released together
 * by {@link #close()} in reverse order of creation. Use from one thread at a time; every public entry point makes
 * the context current on the calling thread (Flink may move an operator between threads across restarts).
 */
public final class CudaContext implements AutoCloseable {

    private final int device;
    private final CUctx_st ctx = new CUctx_st();
    private final CUstream_st stream = new CUstream_st();
    private final DeviceMemoryPool pool;
    private final Map<String, PinnedBuffer> pinned = new HashMap<>();
    private final CUevent_st start = new CUevent_st();
    private final CUevent_st stop = new CUevent_st();
    private KernelModule module;
    private boolean closed;

    CudaContext(int ordinal) {
        int[] dev = new int[1];
        Cu.check(cuDeviceGet(dev, ordinal), "cuDeviceGet");
        device = dev[0];
        Cu.check(cuDevicePrimaryCtxRetain(ctx, device), "cuDevicePrimaryCtxRetain");
        try {
            makeCurrent();
            Cu.check(cuStreamCreate(stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
            Cu.check(cuEventCreate(start, CU_EVENT_DEFAULT), "cuEventCreate");
            Cu.check(cuEventCreate(stop, CU_EVENT_DEFAULT), "cuEventCreate");
            pool = new DeviceMemoryPool();
        } catch (RuntimeException e) {
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    /** Makes this context current on the calling thread. */
    public void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("CUDA context closed");
        }
        Cu.check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
    }

    public CUstream_st stream() {
        return stream;
    }

    public DeviceMemoryPool pool() {
        return pool;
    }

    /** The kernel module, loaded into this context on first use. */
    public KernelModule module() {
        if (module == null) {
            makeCurrent();
            module = new KernelModule();
        }
        return module;
    }

    /** A launch of kernel {@code name} on this context's stream. */
    public KernelLaunch launch(String name) {
        return new KernelLaunch(module().function(name), stream);
    }

    /** A pinned staging buffer of at least {@code bytes} bytes for {@code slot}, reused across batches. */
    public PinnedBuffer pinned(String slot, long bytes) {
        long need = Math.max(bytes, 256);
        PinnedBuffer b = pinned.get(slot);
        if (b == null || b.bytes() < need) {
            long size = b == null ? need : Math.max(need, b.bytes() + b.bytes() / 2);
            if (b != null) {
                b.close();
            }
            makeCurrent();
            b = new PinnedBuffer(size);
            pinned.put(slot, b);
        }
        return b;
    }

    /** Asynchronously copies the first {@code bytes} bytes of {@code src} to device address {@code dst}. */
    public void upload(long dst, PinnedBuffer src, long bytes) {
        if (bytes > 0) {
            Cu.check(cuMemcpyHtoDAsync(dst, src.pointer(), bytes, stream), "cuMemcpyHtoDAsync");
        }
    }

    /**
     * Uploads weights once: {@code data} into the pool's device buffer {@code slot} through the pinned staging buffer
     * {@code stagingSlot}, waiting until the copy is done (the staging buffer is reused by the next call). Returns
     * the device address.
     */
    public long uploadFloats(String slot, String stagingSlot, float[] data) {
        long bytes = data.length * 4L;
        long d = pool().get(slot, bytes);
        PinnedBuffer staging = pinned(stagingSlot, bytes);
        staging.buffer().asFloatBuffer().put(data);
        upload(d, staging, bytes);
        synchronize();
        return d;
    }

    /** Asynchronously copies {@code bytes} bytes from device address {@code src} into {@code dst}. */
    public void download(PinnedBuffer dst, long src, long bytes) {
        if (bytes > 0) {
            Cu.check(cuMemcpyDtoHAsync(dst.pointer(), src, bytes, stream), "cuMemcpyDtoHAsync");
        }
    }

    /** Asynchronously copies {@code bytes} bytes between two device addresses. */
    public void copy(long dst, long src, long bytes) {
        if (bytes > 0) {
            Cu.check(cuMemcpyDtoDAsync(dst, src, bytes, stream), "cuMemcpyDtoDAsync");
        }
    }

    public void zero(long dst, long bytes) {
        if (bytes > 0) {
            Cu.check(cuMemsetD8Async(dst, (byte) 0, bytes, stream), "cuMemsetD8Async");
        }
    }

    /** Waits until all work queued on this context's stream has finished. */
    public void synchronize() {
        Cu.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /** Runs {@code work} (which queues onto this stream) and returns its GPU time in milliseconds. */
    public float timeMillis(Runnable work) {
        makeCurrent();
        Cu.check(cuEventRecord(start, stream), "cuEventRecord");
        work.run();
        Cu.check(cuEventRecord(stop, stream), "cuEventRecord");
        Cu.check(cuEventSynchronize(stop), "cuEventSynchronize");
        float[] ms = new float[1];
        Cu.check(cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
        return ms[0];
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            makeCurrent();
            cuStreamSynchronize(stream);
        } catch (RuntimeException ignored) {
            // closing anyway
        }
        closed = true;
        for (PinnedBuffer b : pinned.values()) {
            b.close();
        }
        pinned.clear();
        pool.close();
        if (module != null) {
            module.close();
        }
        cuEventDestroy(stop);
        cuEventDestroy(start);
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
    }

}
