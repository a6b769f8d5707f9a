package io.omnistream.operators.tts;

import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one espeak-ng instance of the JVM. espeak-ng keeps global state (voice, callback, buffers),
 * so every synthesis runs on this engine's dedicated thread, one at a time, whichever operator
 * instance asked for it. Results are streamed into a {@link SynthesisJob} as fixed-size chunks at
 * the requested rate.
 */
public final class EspeakEngine {
    private static final Logger LOG = LoggerFactory.getLogger(EspeakEngine.class);
    private static EspeakEngine instance;

    private final EspeakLibrary lib;
    private final int nativeRate;
    private final BlockingQueue<SynthesisJob> jobs = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile SynthesisJob current;
    private Resampler resampler;
    // kept as a field so that JNA's callback object is not garbage collected
    private final EspeakLibrary.SynthCallback callback = this::onAudio;

    private EspeakEngine(String libraryPath, String dataPath) {
        this.lib = EspeakLibrary.load(libraryPath);
        int[] rate = new int[1];
        this.thread = new Thread(() -> run(dataPath, rate), "espeak-ng");
        this.thread.setDaemon(true);
        synchronized (rate) {
            thread.start();
            try {
                while (rate[0] == 0) {
                    rate.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting espeak-ng", e);
            }
        }
        if (rate[0] < 0) {
            throw new IllegalStateException("espeak-ng failed to initialise (data path " + dataPath + ")");
        }
        this.nativeRate = rate[0];
    }

    /** The shared engine, started on first use. */
    public static synchronized EspeakEngine shared(String libraryPath, String dataPath) {
        if (instance == null) {
            instance = new EspeakEngine(libraryPath, dataPath);
        }
        return instance;
    }

    /** espeak-ng's own output rate (22050 Hz for its standard voices). */
    public int nativeSampleRate() {
        return nativeRate;
    }

    /** Queues a synthesis; chunks appear in the returned job as they are produced. */
    public SynthesisJob submit(String text, String voice, int rateWpm, int outputRate, int chunkMillis) {
        SynthesisJob job = new SynthesisJob(text, voice, rateWpm, outputRate, outputRate * chunkMillis / 1000);
        jobs.add(job);
        return job;
    }

    private void run(String dataPath, int[] rate) {
        int r;
        try {
            r = lib.espeak_Initialize(EspeakLibrary.AUDIO_OUTPUT_SYNCHRONOUS, 20, dataPath, 0);
            lib.espeak_SetSynthCallback(callback);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.error("espeak-ng initialisation failed", e);
            r = -1;
        }
        synchronized (rate) {
            rate[0] = r <= 0 ? -1 : r;
            rate.notifyAll();
        }
        if (r <= 0) {
            return;
        }
        String voice = null;
        int wpm = -1;
        while (true) {
            SynthesisJob job;
            try {
                job = jobs.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (job == null) {
                continue;
            }
            if (job.isCancelled()) {
                job.finish(null);
                continue;
            }
            try {
                if (!job.voice.equals(voice)) {
                    if (lib.espeak_SetVoiceByName(job.voice) != 0) {
                        throw new IllegalArgumentException("espeak-ng has no voice " + job.voice);
                    }
                    voice = job.voice;
                }
                if (job.rateWpm != wpm) {
                    lib.espeak_SetParameter(EspeakLibrary.ESPEAK_RATE, job.rateWpm, 0);
                    wpm = job.rateWpm;
                }
                resampler = job.outputRate == r ? null : new Resampler(r, job.outputRate);
                current = job;
                byte[] text = (job.text + "\0").getBytes(StandardCharsets.UTF_8);
                int rc = lib.espeak_Synth(text, text.length, 0, EspeakLibrary.POS_CHARACTER, 0, EspeakLibrary.ESPEAK_CHARS_UTF8,
                        Pointer.NULL, Pointer.NULL);
                current = null;
                if (!job.isCancelled() && resampler != null) {
                    short[] tail = resampler.flush();
                    job.addSamples(tail, tail.length);
                }
                job.finish(rc == 0 || job.isCancelled() ? null : new IllegalStateException("espeak_Synth failed: " + rc));
            } catch (RuntimeException e) {
                current = null;
                job.finish(e);
            }
        }
    }

    private int onAudio(Pointer wav, int numSamples, Pointer events) {
        SynthesisJob job = current;
        if (job == null || job.isCancelled()) {
            return 1;
        }
        if (wav != null && numSamples > 0) {
            short[] s = wav.getShortArray(0, numSamples);
            if (resampler != null) {
                short[] o = resampler.process(s, s.length);
                job.addSamples(o, o.length);
            } else {
                job.addSamples(s, s.length);
            }
        }
        return 0;
    }
}
