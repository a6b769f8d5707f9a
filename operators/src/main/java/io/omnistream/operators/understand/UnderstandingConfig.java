package io.omnistream.operators.understand;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Every setting of understanding and answering (ASR, OCR, responder, TTS) in one typed place, with
 * defaults that run the embedded, offline mode on a Debian machine set up by
 * {@code deploy/local/setup.sh}.
 */
public class UnderstandingConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    // ---- ASR (PocketSphinx) ----
    public String pocketSphinxLibrary = "/usr/lib/x86_64-linux-gnu/libpocketsphinx.so.3";
    public String sphinxModelDir = "/usr/share/pocketsphinx/model/en-us";
    /** Decoders loaded per operator instance at start-up (each holds its own LM copy). */
    public int asrDecodersPerInstance = 2;
    /** Hard cap; extra decoders are loaded in the background when the spare count drops to zero. */
    public int asrMaxDecodersPerInstance = 4;
    /** A partial transcript is emitted at least this often (session clock) while the customer speaks. */
    public long asrPartialIntervalMicros = 300_000;
    /** Audio kept before the detected speech start and fed to the decoder with the turn. */
    public long asrPrerollMicros = 300_000;
    /** Skip PocketSphinx's second passes (fwdflat, bestpath) so that the final hypothesis is ready at once. */
    public boolean asrFastFinal = true;
    /** Audio after the estimated speech end that is still decoded before the turn's text is final. */
    public long asrEndTailMicros = 120_000;
    /**
     * While the customer speaks, a tick's audio is fed to the decoder only once the watermark has passed it (then
     * every speech end decided before it has arrived), so that a segment is decoded from its start up to exactly the
     * tick at which its end was decided, however far the frames run ahead of the events: the same audio gives the same
     * final text. Audio is held at most this long behind the session's newest tick (then fed anyway, counted as
     * {@code asrFedAheadOfWatermark}); 0 feeds every tick as it comes (the text then depends on how far the frames
     * ran ahead). The held audio is decoded when the segment ends.
     */
    public long asrMaxHoldMicros = 600_000;
    /** Turn audio (last seconds) kept for the remote omni model. */
    public long turnAudioKeepMicros = 8_000_000;
    /**
     * An event waiting for its audio (a speech end, an end of turn) is applied with the audio that came once the
     * watermark passes the event's time (then the rest will never come), or, where the watermark cannot tell (every
     * source idle, or an event restored without its time), once no frame of the session has come for this long (wall
     * clock). Applied early, an end of turn loses the text of the audio still on its way.
     */
    public long eventGiveUpOnAudioMillis = 30_000;
    /**
     * How far a session's media clock may lag the job's watermark (which runs with the fastest sessions) before the
     * watermark alone releases an event still waiting for that session's audio.
     */
    public long eventAudioLagMillis = 5_000;
    /**
     * Audio of the turn in progress kept in keyed state (checkpointed) so that a restored job replays it into a fresh
     * decoder; beyond this the oldest part is dropped and counted ({@code asrReplayAudioTruncated}).
     */
    public long asrReplayMaxMicros = 30_000_000;
    /**
     * A restored turn, or a turn ending without a decoder, waits this long for one (loading one on the task thread
     * while under {@code asrMaxDecodersPerInstance}) rather than losing its text.
     */
    public long asrDecoderWaitMillis = 15_000;

    // ---- OCR (Tesseract) ----
    /** Null: the first /usr/share/tesseract-ocr/&#42;/tessdata. */
    public String tessdataDir = null;
    public String ocrLanguage = "eng";
    /** The screen must stay unchanged this long (session clock) after a change before it is read. */
    public long ocrStableMicros = 400_000;
    /** Screens are scaled so that their height is at least this (Tesseract prefers larger glyphs). */
    public int ocrMinHeight = 1080;
    /** Stable pictures queued for the OCR thread per operator instance (async I/O capacity). */
    public int ocrQueueCapacity = 4;
    /** A read that takes longer is dropped. */
    public long ocrTimeoutMillis = 30_000;
    /** Tesseract page segmentation mode (3: fully automatic, 11: sparse text). */
    public int ocrPageSegMode = 3;
    /**
     * On routed frames, read only the part of a screen that changed since the session's last read and carry the
     * rest of its text over ({@link io.omnistream.operators.ocr.ChangedRegionReader}; the job sets it when routing
     * is on). Off: every read is of the whole screen.
     */
    public boolean ocrChangedRegionOnly = false;
    /** Sessions whose last read the OCR keeps for changed-region reads (per operator instance). */
    public int ocrChangedRegionSessions = 256;
    /** Changed regions covering more than this fraction of the screen are read as a whole screen. */
    public double ocrMaxRegionFraction = 0.5;

    // ---- responder ----
    /** Knowledge base on the classpath (or a file path). */
    public String knowledgeBase = "kb/customer-service.yaml";
    /**
     * The sentence encoder of the responder (all-MiniLM-L6-v2 either way): {@code ONNX_RUNTIME} runs langchain4j's
     * int8-quantised model through ONNX Runtime on the CPU; {@code OMNI} runs the project's own encoder from the fp32
     * model file ({@code gpu-kernels}: CUDA when a GPU is present, its Java twin otherwise); {@code AUTO} = OMNI when
     * a GPU is present, else ONNX_RUNTIME.
     */
    public TextEncoderChoice textEncoder = TextEncoderChoice.AUTO;

    /** See {@link #textEncoder}. */
    public enum TextEncoderChoice { AUTO, ONNX_RUNTIME, OMNI }
    public int respondTopK = 3;
    /** Below this cosine similarity the fallback intent answers. */
    public double respondMinScore = 0.35;
    /** Prepare the answer (text and first audio) at the speech drop, commit at end of turn. */
    public boolean speculative = true;
    /** Characters per streamed text delta. */
    public int textDeltaChars = 24;
    /** Backend name written into embedded responses. */
    public String embeddedBackendName = "embedded";

    // ---- TTS (espeak-ng) ----
    public String espeakLibrary = "/usr/lib/x86_64-linux-gnu/libespeak-ng.so.1";
    /** Null: espeak-ng's compiled-in data path. */
    public String espeakDataPath = null;
    public String ttsVoice = "en-us";
    /** Words per minute. */
    public int ttsRate = 185;
    /** Output rate of agent audio: 16000 (pipeline rate) or 48000 (WebRTC/Opus rate). */
    public int ttsOutputSampleRate = 16000;
    public int ttsChunkMillis = 20;
    /** How often queued synthesized chunks are drained into the stream (processing time). */
    public long ttsDrainIntervalMillis = 5;

    // ---- modality routing (obeyed on routed frames; see operators.route) ----
    /** An open turn's decoder idle between segments goes back to the pool after this much routed silence. */
    public long asrReleaseIdleMicros = 2_000_000;
    /** The responder embeds only text it has not embedded before (the job sets it when routing is on). */
    public boolean encodeNewTextOnly = false;
    /** Texts whose embeddings the responder keeps for reuse (per operator instance). */
    public int textEmbeddingCacheSize = 64;

    public UnderstandingConfig() {}

    /** The tessdata folder to use, or an exception saying how to install it. */
    public String resolvedTessdataDir() {
        if (tessdataDir != null) {
            return tessdataDir;
        }
        Path base = Path.of("/usr/share/tesseract-ocr");
        if (Files.isDirectory(base)) {
            try (Stream<Path> s = Files.list(base)) {
                return s.map(p -> p.resolve("tessdata"))
                        .filter(p -> Files.isRegularFile(p.resolve(ocrLanguage + ".traineddata")))
                        .sorted()
                        .reduce((a, b) -> b)
                        .map(Path::toString)
                        .orElseThrow(() -> missingTessdata());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw missingTessdata();
    }

    private IllegalStateException missingTessdata() {
        return new IllegalStateException("no " + ocrLanguage + ".traineddata under /usr/share/tesseract-ocr/*/tessdata; "
                + "install tesseract-ocr-" + ocrLanguage + " (deploy/local/setup.sh) or set tessdataDir");
    }

    public String sphinxHmm() {
        return sphinxModelDir + "/en-us";
    }

    public String sphinxLm() {
        return sphinxModelDir + "/en-us.lm.bin";
    }

    public String sphinxDict() {
        return sphinxModelDir + "/cmudict-en-us.dict";
    }
}
