package io.omnistream.gpu.runtime;

import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetCount;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetName;
import static org.bytedeco.cuda.global.cudart.cuDriverGetVersion;
import static org.bytedeco.cuda.global.cudart.cuInit;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, once per JVM, whether the CUDA kernels can run here: the JavaCPP CUDA natives load, the driver
 * initialises, a device exists and the compiled kernel module is on the class path. Anything else (no driver,
 * no device, natives missing on a CPU-only machine, {@code -Domni.gpu.disabled=true}) makes callers use the
 * Java twins. Never throws.
 */
public final class GpuRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(GpuRuntime.class);
    /** System property (or env {@code OMNI_GPU_DISABLED=true}) that forces the Java twins. */
    public static final String DISABLE_PROPERTY = "omni.gpu.disabled";

    private static volatile DeviceInfo device;
    private static volatile String unavailableReason;
    private static volatile boolean probed;

    private GpuRuntime() {}

    /** What was found on the GPU side; {@code null} fields never occur. */
    public record DeviceInfo(int ordinal, String name, int ccMajor, int ccMinor, int multiprocessors, int driverVersion) {
        @Override
        public String toString() {
            return name + " (sm_" + ccMajor + ccMinor + ", " + multiprocessors + " SMs, driver " + driverVersion + ")";
        }
    }

    /** Whether GPU kernels can be used in this JVM. */
    public static boolean available() {
        probe();
        return device != null;
    }

    /** The device used, or {@code null} when {@link #available()} is false. */
    public static DeviceInfo device() {
        probe();
        return device;
    }

    /** Why no GPU is used, or {@code null} when one is. */
    public static String unavailableReason() {
        probe();
        return unavailableReason;
    }

    /** A new context (the device's primary context) with its own stream; the caller closes it. */
    public static CudaContext newContext() {
        if (!available()) {
            throw new IllegalStateException("no GPU: " + unavailableReason);
        }
        return new CudaContext(device.ordinal());
    }

    /** Logs that a component fell back to its Java twin. */
    public static void reportFallback(String component, Throwable cause) {
        LOG.warn("{}: GPU path failed, using the Java twin: {}", component, cause.toString());
    }

    private static synchronized void probe() {
        if (probed) {
            return;
        }
        probed = true;
        if (Boolean.getBoolean(DISABLE_PROPERTY) || "true".equalsIgnoreCase(System.getenv("OMNI_GPU_DISABLED"))) {
            unavailableReason = "disabled by " + DISABLE_PROPERTY;
        } else if (!KernelModule.resourcesPresent()) {
            unavailableReason = "kernel module not built (no nvcc at build time)";
        } else {
            try {
                Loader.load(cudart.class);
                Cu.check(cuInit(0), "cuInit");
                int[] count = new int[1];
                Cu.check(cuDeviceGetCount(count), "cuDeviceGetCount");
                if (count[0] == 0) {
                    unavailableReason = "no CUDA device";
                } else {
                    int[] dev = new int[1];
                    Cu.check(cuDeviceGet(dev, 0), "cuDeviceGet");
                    byte[] name = new byte[256];
                    Cu.check(cuDeviceGetName(name, name.length, dev[0]), "cuDeviceGetName");
                    int len = 0;
                    while (len < name.length && name[len] != 0) {
                        len++;
                    }
                    int[] v = new int[1];
                    Cu.check(cuDeviceGetAttribute(v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev[0]), "attr");
                    int major = v[0];
                    Cu.check(cuDeviceGetAttribute(v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev[0]), "attr");
                    int minor = v[0];
                    Cu.check(cuDeviceGetAttribute(v, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev[0]), "attr");
                    int sms = v[0];
                    Cu.check(cuDriverGetVersion(v), "cuDriverGetVersion");
                    if (major < 7) {
                        unavailableReason = "compute capability " + major + "." + minor + " is too old";
                    } else {
                        device = new DeviceInfo(0, new String(name, 0, len, java.nio.charset.StandardCharsets.US_ASCII),
                                major, minor, sms, v[0]);
                    }
                }
            } catch (Throwable t) { // natives may fail to link on CPU-only machines: any failure means "no GPU"
                unavailableReason = t.toString();
            }
        }
        if (device != null) {
            LOG.info("GPU kernels enabled on {}", device);
        } else {
            LOG.info("GPU kernels disabled, using Java twins: {}", unavailableReason);
        }
    }
}
