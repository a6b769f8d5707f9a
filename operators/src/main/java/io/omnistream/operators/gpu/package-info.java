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
 */
package io.omnistream.operators.gpu;
