package io.omnistream.gpu.runtime;

import static org.bytedeco.cuda.global.cudart.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES;
import static org.bytedeco.cuda.global.cudart.cuFuncSetAttribute;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * A typed kernel launch: arguments are appended in the order of the CUDA signature as device pointers
 * ({@link #ptr}), {@code int}s and {@code float}s, then {@link #run()} queues the launch on the context's stream.
 * The argument memory is freed right after the launch (the driver copies argument values at launch time).
 */
public final class KernelLaunch {

    private final CUfunc_st function;
    private final CUstream_st stream;
    private final List<Pointer> args = new ArrayList<>(16);
    private int gx = 1, gy = 1, gz = 1, bx = 1, by = 1, bz = 1, shared;

    KernelLaunch(CUfunc_st function, CUstream_st stream) {
        this.function = function;
        this.stream = stream;
    }

    public KernelLaunch grid(int x, int y, int z) {
        gx = x;
        gy = y;
        gz = z;
        return this;
    }

    public KernelLaunch block(int x, int y, int z) {
        bx = x;
        by = y;
        bz = z;
        return this;
    }

    /** Dynamic shared memory in bytes (raises the function's limit when above the default 48 KiB). */
    public KernelLaunch sharedBytes(int bytes) {
        shared = bytes;
        return this;
    }

    public KernelLaunch ptr(long devicePointer) {
        args.add(new LongPointer(1).put(devicePointer));
        return this;
    }

    public KernelLaunch i32(int v) {
        args.add(new IntPointer(1).put(v));
        return this;
    }

    public KernelLaunch f32(float v) {
        args.add(new FloatPointer(1).put(v));
        return this;
    }

    /** Queues the launch; does nothing when the grid is empty. */
    public void run() {
        try {
            if (gx <= 0 || gy <= 0 || gz <= 0) {
                return;
            }
            if (shared > 48 * 1024) {
                Cu.check(cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, shared),
                        "cuFuncSetAttribute");
            }
            try (PointerPointer<Pointer> pp = new PointerPointer<>(args.size())) {
                for (int i = 0; i < args.size(); i++) {
                    pp.put(i, args.get(i));
                }
                Cu.check(cuLaunchKernel(function, gx, gy, gz, bx, by, bz, shared, stream, pp, null), "cuLaunchKernel");
            }
        } finally {
            for (Pointer p : args) {
                p.close();
            }
            args.clear();
        }
    }
}
