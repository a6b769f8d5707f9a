package io.omnistream.operators.gpu;

/**
 * Where the batched face stage ({@link BatchedFaceOperator}) decodes the camera pictures it detects on. Exists because
 * the choice trades equality with perception's own detector (OpenCV on the host, the same decoder perception uses)
 * against host CPU and PCIe traffic (nvJPEG on the GPU, the decoded pixels never leaving the device).
 */
public enum FaceJpegDecoding {
    /** On the GPU (nvJPEG, {@code BlazeFaceEncoder.detectJpeg}) when the encoder can; else on the host with OpenCV. */
    AUTO,
    /** Always on the host with OpenCV, letterboxed by {@code BlazeFaceDetector.letterbox}. */
    HOST,
    /**
     * Always through the encoder's {@code detectJpeg}: nvJPEG on the GPU, or the JDK's decoder with the Java twin
     * (its specification, which is how the CPU tests exercise this path).
     */
    ENCODER
}
