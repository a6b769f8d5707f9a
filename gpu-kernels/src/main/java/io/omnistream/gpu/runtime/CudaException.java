package io.omnistream.gpu.runtime;

/** A CUDA driver call failed; carries the driver's error code and name so logs say what went wrong. */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int code;

    public CudaException(String call, int code, String name) {
        super(call + " failed: CUDA error " + code + (name == null ? "" : " (" + name + ")"));
        this.code = code;
    }

    public int code() {
        return code;
    }
}
