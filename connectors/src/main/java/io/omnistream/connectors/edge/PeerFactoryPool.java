package io.omnistream.connectors.edge;

import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reuses webrtc-java factories (each with its own {@link HeadlessAudioDeviceModule}) from one session to the next.
 * Two reasons. webrtc-java 0.14.0's {@code RTCPeerConnection.close()} never drops its native reference, so every
 * closed peer keeps its factory's module alive, and with it the module's two native threads: a factory per session
 * leaks two threads per session forever. And one factory per <em>concurrent</em> session is still needed, because
 * the module's recording thread must be stopped while a session pushes agent audio (upstream issue #217); sharing
 * one module between sessions would let a new session restart recording under another one's feet. So a session
 * leases a factory, and gives it back when its peer is closed; threads stay bounded by the peak number of sessions.
 */
public final class PeerFactoryPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerFactoryPool.class);

    /** One factory and the audio module it was built on. */
    public record Lease(HeadlessAudioDeviceModule audioModule, PeerConnectionFactory factory) {}

    private final ArrayDeque<Lease> idle = new ArrayDeque<>();
    private final int maxIdle;
    private int created;
    private boolean closed;

    public PeerFactoryPool(int maxIdle) {
        this.maxIdle = maxIdle;
    }

    /** An idle factory, or a new one. */
    public synchronized Lease acquire() {
        if (closed) {
            throw new IllegalStateException("pool closed");
        }
        Lease l = idle.poll();
        if (l != null) {
            return l;
        }
        HeadlessAudioDeviceModule adm = new HeadlessAudioDeviceModule();
        // Playout is not started here: WebRTC starts the module's 10 ms render pull itself when the first remote
        // audio stream is added. Starting it before the factory exists makes the audio transport registration fail
        // (no remote audio at all); starting it after adds a second pull thread (audio at twice the rate).
        PeerConnectionFactory f = new PeerConnectionFactory(adm);
        created++;
        return new Lease(adm, f);
    }

    /** Gives a factory back once every peer, track and source made from it has been closed or disposed. */
    public void release(Lease l) {
        try {
            l.audioModule().stopRecording();
        } catch (Throwable t) {
            LOG.debug("stopRecording on release: {}", t.toString());
        }
        synchronized (this) {
            if (!closed && idle.size() < maxIdle) {
                idle.add(l);
                return;
            }
        }
        dispose(l);
    }

    /** Factories created so far (a test/metric: stays at the peak number of concurrent sessions). */
    public synchronized int created() {
        return created;
    }

    @Override
    public void close() {
        ArrayDeque<Lease> toDispose;
        synchronized (this) {
            closed = true;
            toDispose = new ArrayDeque<>(idle);
            idle.clear();
        }
        toDispose.forEach(PeerFactoryPool::dispose);
    }

    private static void dispose(Lease l) {
        try {
            l.audioModule().stopRecording();
            l.audioModule().stopPlayout();
        } catch (Throwable t) {
            LOG.debug("stop audio module: {}", t.toString());
        }
        try {
            l.factory().dispose();
        } catch (Throwable t) {
            LOG.debug("factory dispose: {}", t.toString()); // closed peers of 0.14.0 still reference it
        }
        try {
            l.audioModule().dispose();
        } catch (Throwable t) {
            LOG.debug("audio module dispose: {}", t.toString());
        }
    }
}
