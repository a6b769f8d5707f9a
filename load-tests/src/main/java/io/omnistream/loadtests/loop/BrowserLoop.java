package io.omnistream.loadtests.loop;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One headless Chromium customer of a running system: plays {@link LoopMedia} through the real web client, shares a
 * canvas whose text changes every second as the screen, and returns what the page measured on its own clock (the
 * {@code omni.turns} / {@code omni.bargeIns} the client computes with its WebAudio analysers).
 */
public final class BrowserLoop {

    /** What the page measured, raw (page-clock milliseconds, epoch origin of that clock). */
    public record PageResult(String sessionId, double timeOrigin, JsonObject calibration, JsonArray turns,
            JsonArray bargeIns, JsonArray latencyEvents, List<String> answers, List<String> captions, JsonArray errors, JsonArray micActivity,
            JsonArray utterances, String diagnostics, JsonArray agentRtp) {}

    /**
     * Samples, once a second, the browser's view of the agent's audio stream ({@code inbound-rtp} of the peer the
     * client exposes as {@code omni.pc}): RFC 3550 interarrival jitter and the mean jitter buffer delay over the
     * second, into {@code omni.agentRtp} — how steady the edge's 10 ms push clock arrives and what the browser's
     * jitter buffer adds to "edge.out → heard".
     */
    private static final String AGENT_RTP_SAMPLER = """
            (() => {
              omni.agentRtp = []; let last = null;
              setInterval(async () => {
                const p = omni.pc; if (!p) return;
                const stats = await p.getStats();
                stats.forEach((r) => {
                  if (r.type !== 'inbound-rtp' || r.kind !== 'audio') return;
                  const s = { at: performance.now(), jitterMs: (r.jitter || 0) * 1000, targetMs: null, bufferMs: null };
                  if (last && r.jitterBufferEmittedCount > last.n) {
                    s.bufferMs = 1000 * (r.jitterBufferDelay - last.d) / (r.jitterBufferEmittedCount - last.n);
                    if (r.jitterBufferTargetDelay !== undefined) {
                      s.targetMs = 1000 * (r.jitterBufferTargetDelay - last.t) / (r.jitterBufferEmittedCount - last.n);
                    }
                  }
                  last = { d: r.jitterBufferDelay, n: r.jitterBufferEmittedCount, t: r.jitterBufferTargetDelay || 0 };
                  omni.agentRtp.push(s);
                  if (omni.agentRtp.length > 3600) omni.agentRtp.shift();
                });
              }, 1000);
              return true;
            })()""";

    /**
     * What a failed assertion should print: the utterances as the page anchored them, every agent-audio onset it
     * heard (and why one did not count as an answer to a question), the speech/answer events with the page time
     * they arrived.
     */
    private static final String DIAGNOSTICS = """
            (() => {
              const events = [];
              omni.events.filter((e) => e.type === 'speech' || e.type === 'answer').forEach((e) => {
                const k = [e.type, e.event, e.turnId, e.responseId, e.hasAudio, e.cancelled, e.stale].join('|');
                const last = events[events.length - 1];
                if (last && last.k === k) { last.n++; return; }
                events.push({ k, at: Math.round(e.receivedAt), n: 1 });
              });
              return { now: performance.now(), utterances: omni.utterances, agentVoice: omni.agentVoice,
                agentOnsets: omni.agentOnsets, micActivity: omni.micActivity, beepLog: omni.beepLog,
                captureStartedAt: omni.captureStartedAt, micStats: omni.micStats || null, events };
            })()""";

    private BrowserLoop() {}

    public static PageResult run(String edgeUrl, LoopMedia media, Path work, Duration tail,
            java.util.function.Consumer<String> progress) throws Exception {
        return run(edgeUrl, media, work, tail, null, progress);
    }

    /**
     * As above; {@code doneWhen} (a page expression, may be null) ends the run early once true, checked every
     * second, so a test stops as soon as what it waits for happened.
     */
    public static PageResult run(String edgeUrl, LoopMedia media, Path work, Duration tail, String doneWhen,
            java.util.function.Consumer<String> progress) throws Exception {
        try (ChromiumPage page = new ChromiumPage(edgeUrl, media.wav, media.y4m, work)) {
            await(() -> Boolean.TRUE.equals(page.evalQuietly("typeof window.omni === 'object'")), Duration.ofSeconds(30),
                    "page loaded");
            if (!Boolean.TRUE.equals(page.eval("typeof omni.loop === 'object'"))) {
                throw new IllegalStateException("the edge serves a web client without the latency probe (omni.loop); "
                        + "install the connectors module or pass -Dloop.webroot=<repo>/connectors/src/main/resources");
            }
            JsonObject truth = new JsonObject()
                    .put("beepsSec", new JsonArray(media.utterances.stream().map(LoopMedia.Utterance::beepSec).toList()))
                    .put("startsSec", new JsonArray(media.utterances.stream().map(LoopMedia.Utterance::startSec).toList()))
                    .put("endsSec", new JsonArray(media.utterances.stream().map(LoopMedia.Utterance::endSec).toList()));
            page.eval("omni.truth = " + truth.encode() + "; true");
            page.eval("""
                    (async () => {
                      const c = document.createElement('canvas'); c.width = 1280; c.height = 720;
                      const g = c.getContext('2d'); let n = 0;
                      const draw = () => { g.fillStyle = '#fff'; g.fillRect(0, 0, 1280, 720); g.fillStyle = '#000';
                        g.font = '48px sans-serif'; g.fillText('Order 10' + (4000 + n++) + ' payment failed', 100, 200); };
                      draw(); setInterval(draw, 1000);
                      await omni.join({ screenTrack: c.captureStream(5).getVideoTracks()[0] });
                      return omni.sessionId;
                    })()""");
            await(() -> "connected".equals(page.evalQuietly("omni.state")), Duration.ofSeconds(40),
                    "page connected (" + page.evalQuietly("omni.state + ' ' + JSON.stringify(omni.errors)") + ")");
            String sid = (String) page.eval("omni.sessionId");
            page.eval(AGENT_RTP_SAMPLER);
            progress.accept("session " + sid + " connected; playing " + String.format("%.0f", media.durationSec) + " s of speech");
            long end = System.nanoTime() + (long) ((media.durationSec + tail.toMillis() / 1000.0) * 1e9);
            int tick = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(1000);
                if (doneWhen != null && Boolean.TRUE.equals(page.evalQuietly(doneWhen))) {
                    break;
                }
                if (++tick % 5 != 0) {
                    continue;
                }
                progress.accept("  heard " + page.evalQuietly("omni.turns.length") + " answers, "
                        + page.evalQuietly("omni.bargeIns.length") + " barge-ins, " + page.evalQuietly("omni.utterances.length")
                        + " utterance beeps, " + page.evalQuietly(
                        "document.getElementById('loopLatency').textContent"));
            }
            JsonArray latency = new JsonArray(page.json("omni.events.filter((e) => e.type === 'latency')"));
            List<String> answers = new ArrayList<>();
            new JsonArray(page.json("omni.answers")).forEach(a -> answers.add(String.valueOf(a)));
            List<String> captions = new ArrayList<>();
            new JsonArray(page.json("omni.captions")).forEach(a -> captions.add(String.valueOf(a)));
            Object cal = page.eval("omni.calibration");
            PageResult r = new PageResult(sid, ((Number) page.eval("performance.timeOrigin")).doubleValue(),
                    cal == null ? null : new JsonObject(page.json("omni.calibration")),
                    new JsonArray(page.json("omni.turns")), new JsonArray(page.json("omni.bargeIns")), latency, answers,
                    captions, new JsonArray(page.json("omni.errors")),
                    new JsonArray(page.json("omni.micActivity")), new JsonArray(page.json("omni.utterances")),
                    page.json(DIAGNOSTICS), new JsonArray(page.json("omni.agentRtp || []")));
            java.nio.file.Files.writeString(work.resolve("beep-log.json"), page.json("omni.beepLog"));
            page.eval("omni.leave(); true");
            Thread.sleep(500);
            return r;
        }
    }

    static void await(Supplier<Boolean> condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Boolean.TRUE.equals(condition.get())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for: " + what);
            }
            Thread.sleep(100);
        }
    }
}
