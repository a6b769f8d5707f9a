package io.omnistream.gpu.runtime;

import static org.bytedeco.cuda.global.cudart.cuGetErrorName;

import org.bytedeco.javacpp.BytePointer;

/** Checks driver API return codes. Package-private helper of the runtime. */
final class Cu {
    private Cu() {}

    static void check(int rc, String call) {
        if (rc != 0) {
            String name = null;
            try (BytePointer p = new BytePointer((org.bytedeco.javacpp.Pointer) null)) {
                if (cuGetErrorName(rc, p) == 0 && p.address() != 0) {
                    name = p.getString();
                }
            } catch (RuntimeException | LinkageError ignored) {
                // the name is only for the message
            }
            throw new CudaException(call, rc, name);
        }
    }
}
