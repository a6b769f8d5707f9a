/**
 * The session pipeline's batched GPU stages ({@link io.omnistream.operators.gpu.GpuStages}, switched by
 * {@link io.omnistream.operators.gpu.GpuStagesConfig}): operators that collect the work of all sessions of a subtask
 * for a few milliseconds and run it as one kernel batch through gpu-kernels' wrappers (CUDA when a GPU is present,
 * the Java twins otherwise, which is how CI runs the very same graph). The batching engine is
 * {@link io.omnistream.operators.gpu.AbstractGpuBatchOperator}: per-key state through Flink keyed state, batches run
 * when full, after the wait (processing-time timer), before every checkpoint barrier and at end of input, watermarks
 * held back while elements wait.
 *
 * <h2>Batched Silero VAD</h2>
 * {@link io.omnistream.operators.gpu.BatchedVadOperator} sits on the session-keyed stream between the modality router
 * and perception, and attaches each tick's speech probability to the frame ({@code PerceptionFrame.vadProbability},
 * -1 = not computed); perception uses it instead of its per-session ONNX Runtime call and keeps everything else
 * (energy gate, audio probability, routing counters). Choices:
 * <ul>
 *   <li><b>An operator in front of perception, not a change inside it.</b> Perception is a
 *       {@code KeyedProcessFunction} that must emit per element; batching across keys needs an operator that can hold
 *       elements and switch keys ({@code setCurrentKey}), which only a custom {@code AbstractStreamOperator} can. The
 *       probability travels on the frame (an optional Avro field with a default, schema history version 3), so
 *       perception stays one operator and works unchanged when the stage is off or absent.</li>
 *   <li><b>Same semantics as perception's own VAD.</b> The state ({@code VadStreams.State}: LSTM h/c, 64 context
 *       samples, a partial chunk) is the model's own layout in keyed state, so a restore resumes exactly; a tick
 *       routed without VAD is skipped (perception treats it as silence) and after
 *       {@code RouteConfig.vadReleaseAfterMicros} of it the state is released; switched back on, the session restarts
 *       from a fresh state primed with {@code PerceptionFunction.vadPrimeChunks()} silent chunks, exactly as perception
 *       does. A tick that completes no chunk reports the session's previous probability, as perception keeps it.</li>
 *   <li><b>Bad audio never breaks a batch.</b> A frame perception would reject ({@code PerceptionFunction.audioProblem},
 *       the same check) passes through without a probability, in order, and perception counts it as always; the
 *       other sessions of the batch are unaffected ({@code gpu.vadFallbacks} counts such frames).</li>
 *   <li><b>Rounds.</b> A session with several frames in one batch (a burst after back-pressure) is stepped in rounds:
 *       its k-th frame in round k, since its chunks depend on each other through the LSTM state; inside a round
 *       {@code VadStreams} steps every session's chunks together. Normally a batch holds one tick per session.</li>
 *   <li><b>Short wait.</b> 2 ms, up to 1024 frames ({@link io.omnistream.operators.gpu.GpuStagesConfig#vadBatch}):
 *       the VAD is on the path to turn-taking, and the frames of one tick of all sessions arrive within a few ms.</li>
 * </ul>
 * Metrics (group {@code gpu}): {@code batches}, {@code batchSize} (frames per batch) and {@code batchMicros}
 * histograms, {@code elements}, {@code vadChunks}, {@code vadFallbacks}, gauge {@code onGpu}.
 *
 * <h2>Batched BlazeFace</h2>
 * {@link io.omnistream.operators.gpu.BatchedFaceOperator} follows the VAD stage on the same partitioning by session
 * ({@link io.omnistream.operators.gpu.GpuStages#beforePerception}; switched alone by
 * {@link io.omnistream.operators.gpu.GpuStagesConfig#batchedFace}) and attaches the faces of a camera picture to the
 * frame ({@code PerceptionFrame.faceDetection}: the picture's seq and the faces in picture pixels with score and the six
 * keypoints; null = not detected here; schema history version 4); perception's {@code LipTracker} uses them instead of
 * its ONNX Runtime detector for that picture and keeps tracking, mouth crop and lip features as they are. Choices:
 * <ul>
 *   <li><b>Perception's schedule, mirrored.</b> Only pictures perception would look at (usable camera track, a picture
 *       it has not seen, face mode not {@code OFF}, lip features on) are detected: with {@code EVERY_FRAME} each, with
 *       {@code EVERY_NTH} (routing off: {@code PerceptionConfig.detectEveryNthFrame}) the first and then every N-th by a
 *       per-session counter in keyed state (restored after a failover), and the next picture again while the last
 *       detection found no usable face; {@code TRACK_ONLY} none. In steady state this is exactly the tracker's own
 *       schedule, so the decisions do not change (BatchedFacePerceptionTest). When the tracker loses its track between
 *       these detections it still detects that picture on the CPU, as without the stage, and is back in step at the
 *       stage's next detection.</li>
 *   <li><b>The detector's input, not a new one.</b> The JPEG is decoded and letterboxed by
 *       {@code BlazeFaceDetector.letterbox} (the same OpenCV area resize and padding), and decoded by
 *       {@code BlazeFaceDecoder} (the same anchors and weighted NMS), so the twin's boxes equal ONNX Runtime's within
 *       about 1e-4 px. The I420 path of the encoder ({@code detectI420}) stays for sources that deliver raw frames.</li>
 *   <li><b>Only detection pictures wait.</b> A frame with nothing to detect goes straight through unless a frame of its
 *       session waits for the batch (order per session is kept); a session's next picture arriving while its previous
 *       one waits runs the batch first, since its schedule depends on what that one showed. 5 ms, up to 256 pictures
 *       ({@link io.omnistream.operators.gpu.GpuStagesConfig#faceBatch}).</li>
 *   <li><b>Bad pictures never break a batch.</b> An undecodable picture passes through without faces and is counted
 *       ({@code gpu.faceBadPictures}); perception reports it as always. A failing encoder leaves the batch to perception
 *       ({@code gpu.faceFallbacks}).</li>
 * </ul>
 * Metrics (group {@code gpu}, besides the engine's): {@code faceDetections}, {@code faceBadPictures},
 * {@code faceFallbacks}, {@code facePassedStraight}.
 */
package io.omnistream.operators.gpu;
