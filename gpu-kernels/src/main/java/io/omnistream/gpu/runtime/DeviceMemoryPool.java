package io.omnistream.gpu.runtime;

import static org.bytedeco.cuda.global.cudart.cuMemAlloc;
import static org.bytedeco.cuda.global.cudart.cuMemFree;

import java.util.HashMap;
import java.util.Map;

/**
 * Device buffers reused across batches: each named slot keeps its allocation and only grows (by at least 1.5×)
 * when a batch needs more, so steady-state batches allocate nothing. Owned by one {@link CudaContext}.
 */
public final class DeviceMemoryPool implements AutoCloseable {

    private record Slot(long ptr, long bytes) {}

    private final Map<String, Slot> slots = new HashMap<>();
    private long allocations;
    private long bytesHeld;

    /** A device pointer to at least {@code bytes} bytes for {@code slot}; contents are undefined. */
    public long get(String slot, long bytes) {
        long need = Math.max(bytes, 256);
        Slot s = slots.get(slot);
        if (s != null && s.bytes >= need) {
            return s.ptr;
        }
        long size = s == null ? need : Math.max(need, s.bytes + s.bytes / 2);
        if (s != null) {
            cuMemFree(s.ptr);
            bytesHeld -= s.bytes;
        }
        long[] p = new long[1];
        Cu.check(cuMemAlloc(p, size), "cuMemAlloc(" + size + ")");
        slots.put(slot, new Slot(p[0], size));
        allocations++;
        bytesHeld += size;
        return p[0];
    }

    /** Device allocations made so far (constant once batches stop growing). */
    public long allocations() {
        return allocations;
    }

    public long bytesHeld() {
        return bytesHeld;
    }

    @Override
    public void close() {
        for (Slot s : slots.values()) {
            cuMemFree(s.ptr);
        }
        slots.clear();
        bytesHeld = 0;
    }
}
