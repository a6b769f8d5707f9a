package io.omnistream.gpu.encoders;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cublas.cublasGemmStridedBatchedEx;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;

import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.CudaException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The encoders' CUDA kernels ({@code src/main/cuda/omni_encoders.cu}, built by nvcc into the jar next to the other
 * kernels) loaded into a {@link CudaContext}, and a cuBLAS handle on the context's stream for the encoders' GEMMs.
 * A module of its own so that the encoders build and load independently of {@code omni_kernels}. Closed by its
 * encoder, before the context.
 */
public final class EncoderModule implements AutoCloseable {
    static final String FATBIN = "/io/omnistream/gpu/kernels/omni_encoders.fatbin";
    static final String PTX = "/io/omnistream/gpu/kernels/omni_encoders.ptx";

    private final CudaContext cuda;
    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final cublasContext blas = new cublasContext();
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private static final int MAX_ARGS = 16;
    private final BytePointer argValues = new BytePointer(8L * MAX_ARGS);
    private final PointerPointer<Pointer> argPointers = new PointerPointer<>(MAX_ARGS);
    private boolean closed;

    public EncoderModule(CudaContext cuda) {
        this.cuda = cuda;
        cuda.makeCurrent();
        String loaded = null;
        RuntimeException first = null;
        for (String res : new String[] {FATBIN, PTX}) {
            byte[] image = read(res);
            if (image == null) {
                continue;
            }
            try (BytePointer p = new BytePointer(java.util.Arrays.copyOf(image, image.length + 1))) {
                check(cuModuleLoadData(module, p), "cuModuleLoadData(" + res + ")");
                loaded = res;
                break;
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (loaded == null) {
            throw first != null ? first : new IllegalStateException("encoder kernels not built (no " + FATBIN + ")");
        }
        for (int i = 0; i < MAX_ARGS; i++) {
            long slot = argValues.address() + 8L * i;
            argPointers.put(i, new Pointer() {
                {
                    address = slot;
                }
            });
        }
        try {
            checkBlas(cublasCreate_v2(blas), "cublasCreate");
            checkBlas(cublasSetStream_v2(blas, cuda.stream()), "cublasSetStream");
        } catch (RuntimeException e) {
            cuModuleUnload(module);
            throw e;
        }
    }

    /** Whether the encoder kernels were built into the class path. */
    public static boolean present() {
        return EncoderModule.class.getResource(FATBIN) != null || EncoderModule.class.getResource(PTX) != null;
    }

    /**
     * Queues kernel {@code name} on the context's stream with {@code args} in signature order: {@link DevicePtr}
     * for device pointers, {@code Integer}, {@code Float}.
     */
    public void launch(String name, int gridX, int blockX, Object... args) {
        if (gridX <= 0) {
            return;
        }
        if (args.length > MAX_ARGS) {
            throw new IllegalArgumentException(name + ": more than " + MAX_ARGS + " kernel arguments");
        }
        CUfunc_st f = functions.computeIfAbsent(name, n -> {
            CUfunc_st fn = new CUfunc_st();
            check(cuModuleGetFunction(fn, module, n), "cuModuleGetFunction(" + n + ")");
            return fn;
        });
        // One 8-byte slot per argument in a buffer kept for the module's life (the driver copies the values during
        // cuLaunchKernel), so a launch allocates nothing: the encoders' sequences are dozens of launches per batch.
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof DevicePtr d) {
                argValues.putLong(8L * i, d.address());
            } else if (a instanceof Integer v) {
                argValues.putInt(8L * i, v);
            } else if (a instanceof Float v) {
                argValues.putFloat(8L * i, v);
            } else {
                throw new IllegalArgumentException("kernel argument " + i + " of " + name + ": " + a);
            }
        }
        check(cuLaunchKernel(f, gridX, 1, 1, blockX, 1, 1, 0, cuda.stream(), argPointers, null), "cuLaunchKernel(" + name + ")");
    }

    /** Blocks for a grid-stride kernel over {@code total} elements with 256 threads per block. */
    public static int blocksFor(long total) {
        return (int) Math.max(1, Math.min((total + 255) / 256, 132L * 32));
    }

    /**
     * {@code C[rows][out] = A[rows][inner] · W[out][inner]ᵀ}, all row-major fp32 on the device (cuBLAS SGEMM, default
     * math mode, i.e. no TF32).
     */
    public void gemmRowMajor(int rows, int out, int inner, long a, long w, long c) {
        if (rows == 0) {
            return;
        }
        // Column-major view: C^T (out × rows) = W (as inner × out, transposed) · A^T (inner × rows).
        checkBlas(cublasSgemm_v2(blas, CUBLAS_OP_T, CUBLAS_OP_N, out, rows, inner, one, device(w), inner, device(a), inner, zero,
                device(c), out), "cublasSgemm");
    }

    /**
     * {@code C[rows][out] = A[rows][inner] · W[inner][out]} with A and W fp16 and C fp32, all row-major on the device
     * (W in the ONNX {@code MatMul} layout); cuBLAS GemmEx, fp32 accumulation (tensor cores).
     */
    public void gemmHalf(int rows, int out, int inner, long a16, long w16, long c32) {
        if (rows == 0) {
            return;
        }
        // Column-major view: C^T (out × rows) = W^T (out × inner, W row-major read as column-major) · A^T (inner × rows).
        checkBlas(cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, out, rows, inner, one, device(w16), CUDA_R_16F, out, device(a16),
                CUDA_R_16F, inner, zero, device(c32), CUDA_R_32F, out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT), "cublasGemmEx");
    }

    /** As {@link #gemmHalf} with C written as fp16 (accumulation still fp32): for products that feed fp16 kernels. */
    public void gemmHalfToHalf(int rows, int out, int inner, long a16, long w16, long c16) {
        if (rows == 0) {
            return;
        }
        checkBlas(cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, out, rows, inner, one, device(w16), CUDA_R_16F, out, device(a16),
                CUDA_R_16F, inner, zero, device(c16), CUDA_R_16F, out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT), "cublasGemmEx");
    }

    /**
     * {@code batch} products {@code C_b = A · W_b} as in {@link #gemmHalf}, the same A, {@code W_b = w16 + b*wStride}
     * and {@code C_b = c + b*cStride} (strides in elements), C fp16 when {@code halfOut} else fp32: e.g. q, k and v of
     * one activation in one call.
     */
    public void gemmHalfBatched(int rows, int out, int inner, long a16, long w16, long wStride, long c, long cStride,
            int batch, boolean halfOut) {
        if (rows == 0) {
            return;
        }
        checkBlas(cublasGemmStridedBatchedEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, out, rows, inner, one, device(w16), CUDA_R_16F, out,
                wStride, device(a16), CUDA_R_16F, inner, 0L, zero, device(c), halfOut ? CUDA_R_16F : CUDA_R_32F, out, cStride, batch,
                CUBLAS_COMPUTE_32F,
                CUBLAS_GEMM_DEFAULT), "cublasGemmStridedBatchedEx");
    }

    /** A typed device address for {@link #launch}. */
    public record DevicePtr(long address) {}

    public static DevicePtr ptr(long address) {
        return new DevicePtr(address);
    }

    /** A FloatPointer holding a device address (JavaCPP passes it through to cuBLAS unchanged). */
    private static FloatPointer device(long devicePointer) {
        return new FloatPointer() {
            {
                address = devicePointer;
            }
        };
    }

    private static byte[] read(String res) {
        try (InputStream in = EncoderModule.class.getResourceAsStream(res)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void check(int rc, String call) {
        if (rc != 0) {
            throw new CudaException(call, rc, null);
        }
    }

    private static void checkBlas(int rc, String call) {
        if (rc != 0) {
            throw new IllegalStateException(call + " failed with cuBLAS status " + rc);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cuda.makeCurrent();
        cublasDestroy_v2(blas);
        functions.clear();
        cuModuleUnload(module);
        one.close();
        zero.close();
        argPointers.close();
        argValues.close();
    }
}
