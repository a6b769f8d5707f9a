package io.omnistream.gpu.runtime;

import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;

/**
 * The project's compiled CUDA kernels, loaded from the class path into one context. The Maven build puts a fat
 * binary (sm_90 SASS plus compute_90 PTX, so newer GPUs JIT it) and the plain PTX under {@link #RESOURCE_DIR};
 * the fat binary is preferred. Functions are looked up once and cached.
 */
public final class KernelModule implements AutoCloseable {

    public static final String RESOURCE_DIR = "/io/omnistream/gpu/kernels/";
    static final String FATBIN = RESOURCE_DIR + "omni_kernels.fatbin";
    static final String PTX = RESOURCE_DIR + "omni_kernels.ptx";

    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final String loadedFrom;

    KernelModule() {
        String from = null;
        RuntimeException first = null;
        for (String res : new String[] {FATBIN, PTX}) {
            byte[] image = read(res);
            if (image == null) {
                continue;
            }
            byte[] terminated = java.util.Arrays.copyOf(image, image.length + 1);
            try (BytePointer p = new BytePointer(terminated)) {
                Cu.check(cuModuleLoadData(module, p), "cuModuleLoadData(" + res + ")");
                from = res;
                break;
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (from == null) {
            throw first != null ? first : new IllegalStateException("no kernel module under " + RESOURCE_DIR);
        }
        loadedFrom = from;
    }

    static boolean resourcesPresent() {
        return KernelModule.class.getResource(FATBIN) != null || KernelModule.class.getResource(PTX) != null;
    }

    /** The kernel entry point {@code name} (an {@code extern "C"} function of the CUDA sources). */
    public synchronized CUfunc_st function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunc_st f = new CUfunc_st();
            Cu.check(cuModuleGetFunction(f, module, n), "cuModuleGetFunction(" + n + ")");
            return f;
        });
    }

    public String loadedFrom() {
        return loadedFrom;
    }

    private static byte[] read(String res) {
        try (InputStream in = KernelModule.class.getResourceAsStream(res)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        functions.clear();
        cuModuleUnload(module);
    }
}
