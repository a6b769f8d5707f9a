package io.omnistream.operators.asr;

import io.omnistream.operators.understand.UnderstandingConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loaded PocketSphinx decoders of one operator instance, lent to a speaker turn and returned at its
 * end, so that no decoder is created on the hot path. When the last spare is lent, one more is
 * loaded in the background (up to a cap); a turn that finds the pool empty is counted by the caller and
 * catches up when a decoder is free (its buffered audio is replayed, see {@link StreamingAsrFunction}).
 */
public final class SphinxDecoderPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SphinxDecoderPool.class);
    private static volatile PocketSphinxLibrary library;

    private final UnderstandingConfig config;
    private final ArrayDeque<SphinxDecoder> free = new ArrayDeque<>();
    private final List<SphinxDecoder> all = new ArrayList<>();
    private final AtomicInteger loading = new AtomicInteger();
    private final ExecutorService loader;
    private volatile boolean closed;

    public SphinxDecoderPool(UnderstandingConfig config) {
        this.config = config;
        this.loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sphinx-decoder-loader");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < Math.max(1, config.asrDecodersPerInstance); i++) {
            SphinxDecoder d = newDecoder();
            synchronized (this) {
                all.add(d);
                free.add(d);
            }
        }
    }

    static PocketSphinxLibrary library(String path) {
        PocketSphinxLibrary l = library;
        if (l == null) {
            synchronized (SphinxDecoderPool.class) {
                if (library == null) {
                    library = PocketSphinxLibrary.load(path);
                }
                l = library;
            }
        }
        return l;
    }

    private SphinxDecoder newDecoder() {
        synchronized (SphinxDecoderPool.class) { // one load at a time per process (background spares, waiting turns)
            return newDecoderUnlocked();
        }
    }

    private SphinxDecoder newDecoderUnlocked() {
        return new SphinxDecoder(library(config.pocketSphinxLibrary), config.sphinxHmm(), config.sphinxLm(), config.sphinxDict(),
                config.asrFastFinal);
    }

    /** A free decoder, or null when all are lent (a spare is then being loaded). */
    public synchronized SphinxDecoder borrow() {
        SphinxDecoder d = free.poll();
        if (free.isEmpty() && all.size() + loading.get() < config.asrMaxDecodersPerInstance && !closed) {
            loading.incrementAndGet();
            loader.execute(() -> {
                try {
                    SphinxDecoder fresh = newDecoder();
                    synchronized (this) {
                        if (closed) {
                            fresh.close();
                        } else {
                            all.add(fresh);
                            free.add(fresh);
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.warn("could not load a spare PocketSphinx decoder", e);
                } finally {
                    loading.decrementAndGet();
                }
            });
        }
        return d;
    }

    /**
     * A free decoder; if none is free, one is loaded on the calling thread while under the cap, else the call
     * waits up to {@code timeoutMillis} for one to be given back or loaded. For the rare paths that must not
     * lose a turn's text (a restored turn, the end of a turn that found no decoder); null if none came in time.
     */
    public SphinxDecoder borrowWaiting(long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        SphinxDecoder d = borrow();
        while (d == null) {
            boolean load;
            synchronized (this) {
                load = !closed && all.size() + loading.get() < config.asrMaxDecodersPerInstance;
                if (load) {
                    loading.incrementAndGet();
                }
            }
            if (load) {
                try {
                    SphinxDecoder fresh = newDecoder();
                    synchronized (this) {
                        all.add(fresh);
                    }
                    return fresh;
                } finally {
                    loading.decrementAndGet();
                }
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return null;
            }
            synchronized (this) {
                if (free.isEmpty()) {
                    wait(Math.min(left, 100));
                }
                d = free.poll();
            }
        }
        return d;
    }

    public synchronized void giveBack(SphinxDecoder d) {
        if (d.inUtterance()) {
            d.finish();
        }
        if (closed) {
            d.close();
        } else {
            free.add(d);
        }
    }

    public synchronized int size() {
        return all.size();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        loader.shutdownNow();
        synchronized (this) {
            for (SphinxDecoder d : all) {
                d.close();
            }
            all.clear();
            free.clear();
        }
    }
}
