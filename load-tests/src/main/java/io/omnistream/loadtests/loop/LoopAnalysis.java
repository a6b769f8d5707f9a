package io.omnistream.loadtests.loop;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns what the page measured and what the pipeline traced into the figures of the report: end of speech → first
 * agent audio per turn, barge-in stop times, and for each pipeline stage how long after the customer's true end of
 * speech it was reached (page clock mapped to epoch via {@code performance.timeOrigin}; same machine, same clock).
 */
public final class LoopAnalysis {

    /** One answered turn. stageMs: stage name → ms after the true end of speech. */
    public record TurnResult(int index, Long turnId, double latencyMs, Map<String, Double> stageMs) {}

    public final List<TurnResult> turns = new ArrayList<>();
    public final List<Double> bargeInMs = new ArrayList<>();
    public final List<Double> bargeInDecidedMs = new ArrayList<>();
    /** Per decision type (SPEECH_END, END_OF_TURN): ms from the true end of speech to turn.decided. */
    public final Map<String, List<Double>> decidedMs = new TreeMap<>();
    public final Percentiles latency;
    public final Percentiles bargeIn;
    /** Stage → percentiles of ms after the true end, ordered by median. */
    public final Map<String, Percentiles> stages = new LinkedHashMap<>();
    public final int utterances;
    public final int expectedAnswers;

    public LoopAnalysis(BrowserLoop.PageResult page, TraceCollector traces, LoopMedia media) {
        utterances = media.utterances.size();
        expectedAnswers = utterances;
        Map<String, List<Double>> perStage = new TreeMap<>();
        for (int i = 0; i < page.turns().size(); i++) {
            JsonObject t = page.turns().getJsonObject(i);
            Double ms = t.getDouble("ms");
            if (ms == null) {
                continue;
            }
            Long turnId = t.getLong("turnId");
            double endAt = t.getDouble("endOfSpeechAt");
            double reassociated = trueEndOfDecidedTurn(page, traces, media, turnId);
            if (!Double.isNaN(reassociated) && reassociated != endAt) {
                // the page takes the latest true end before the agent's voice; when the pipeline runs late that can be
                // a later utterance than the one answered, so the turn's own END_OF_TURN decision picks the utterance
                reassociatedTurns++;
                endAt = reassociated;
                ms = t.getDouble("firstAudioAt") - endAt;
            }
            double endEpochMicros = (page.timeOrigin() + endAt) * 1000.0;
            Map<String, Double> st = new LinkedHashMap<>();
            Map<String, Long> raw = new TreeMap<>();
            if (turnId != null && traces != null) {
                TraceCollector.Turn tr = traces.turns(page.sessionId()).get(turnId);
                if (tr != null && tr.endOfTurnStages != null) {
                    raw.putAll(tr.endOfTurnStages);
                }
                if (tr != null && tr.firstAudioStages != null) {
                    raw.putAll(tr.firstAudioStages);
                }
            }
            JsonObject pageStages = t.getJsonObject("stages");
            if (pageStages != null) {
                pageStages.forEach(e -> raw.put(e.getKey(), ((Number) e.getValue()).longValue()));
            }
            raw.forEach((k, v) -> st.put(k, (v - endEpochMicros) / 1000.0));
            st.put("browser.first-audio", ms);
            turns.add(new TurnResult(i, turnId, ms, st));
            st.forEach((k, v) -> perStage.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        latency = new Percentiles(turns.stream().map(TurnResult::latencyMs).toList());
        perStage.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), new Percentiles(e.getValue())))
                .sorted(Comparator.comparingDouble(e -> e.getValue().p(50)))
                .forEach(e -> stages.put(e.getKey(), e.getValue()));
        for (int i = 0; i < page.bargeIns().size(); i++) {
            Double ms = page.bargeIns().getJsonObject(i).getDouble("ms");
            if (ms != null) {
                bargeInMs.add(ms);
            }
        }
        bargeIn = new Percentiles(bargeInMs);
        if (traces != null && page.calibration() != null) {
            for (io.omnistream.schemas.SpeechEvent e : traces.decisions(page.sessionId())) {
                String type = e.getType().name();
                long decided = TraceCollector.decidedMicros(e);
                if (decided < 0 || !(type.equals("SPEECH_END") || type.equals("END_OF_TURN"))) {
                    continue;
                }
                double decidedPage = decided / 1000.0 - page.timeOrigin();
                double best = Double.NaN;
                for (double[] u : pageUtterances(page)) {
                    double endPage = u[1];
                    if (endPage <= decidedPage + 300 && (Double.isNaN(best) || endPage > best)) {
                        best = endPage; // a decision may come slightly before the end the threshold procedure marks
                    }
                }
                if (!Double.isNaN(best) && decidedPage - best < 3000) {
                    decidedMs.computeIfAbsent(type, k -> new ArrayList<>()).add(decidedPage - best);
                }
            }
            // server-side barge-in decision vs the true start of the interrupting utterance
            traces.bargeIns(page.sessionId()).forEach(b -> {
                if (b.getTrace() == null || b.getTrace().getStages().get("turn.decided") == null) {
                    return;
                }
                double decidedPage = b.getTrace().getStages().get("turn.decided") / 1000.0 - page.timeOrigin();
                double best = Double.NaN;
                for (double[] u : pageUtterances(page)) {
                    double startPage = u[0];
                    if (startPage <= decidedPage && (Double.isNaN(best) || startPage > best)) {
                        best = startPage;
                    }
                }
                if (!Double.isNaN(best)) {
                    bargeInDecidedMs.add(decidedPage - best);
                }
            });
        }
    }

    /**
     * Calibration check: for each true utterance start, the page microphone detector's nearest speech onset within
     * ±700 ms, minus the true start (ms). A median near 0 says the beep calibration and the file timeline hold.
     */
    public static List<Double> micOnsetMinusTruth(BrowserLoop.PageResult page, LoopMedia media) {
        List<Double> out = new ArrayList<>();
        if (page.calibration() == null || page.micActivity() == null) {
            return out;
        }
        for (double[] u : pageUtterances(page)) {
            double truth = u[0];
            double best = Double.NaN;
            for (int i = 0; i < page.micActivity().size(); i++) {
                double d = page.micActivity().getJsonObject(i).getDouble("startAt") - truth;
                if (Math.abs(d) <= 700 && (Double.isNaN(best) || Math.abs(d) < Math.abs(best))) {
                    best = d;
                }
            }
            if (!Double.isNaN(best)) {
                out.add(best);
            }
        }
        return out;
    }

    /** Page-clock start / end of each utterance whose beep the page heard: {startAt, endAt} per utterance. */
    static List<double[]> pageUtterances(BrowserLoop.PageResult page) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; page.utterances() != null && i < page.utterances().size(); i++) {
            JsonObject u = page.utterances().getJsonObject(i);
            if (u == null) {
                continue; // its beep was not heard
            }
            out.add(new double[] {u.getDouble("startAt"), u.getDouble("endAt")});
        }
        return out;
    }

    /** Turns whose utterance the server's END_OF_TURN decision re-assigned. */
    public int reassociatedTurns;

    /** Page time of the true end of the utterance whose END_OF_TURN opened {@code turnId}; NaN if unknown. */
    static double trueEndOfDecidedTurn(BrowserLoop.PageResult page, TraceCollector traces, LoopMedia media, Long turnId) {
        if (traces == null || turnId == null || page.calibration() == null) {
            return Double.NaN;
        }
        double decided = Double.NaN;
        for (io.omnistream.schemas.SpeechEvent e : traces.decisions(page.sessionId())) {
            if (e.getTurnId() == turnId && e.getType().name().equals("END_OF_TURN") && TraceCollector.decidedMicros(e) > 0) {
                decided = TraceCollector.decidedMicros(e) / 1000.0 - page.timeOrigin();
            }
        }
        if (Double.isNaN(decided)) {
            return Double.NaN;
        }
        double best = Double.NaN;
        for (double[] u : pageUtterances(page)) {
            double endPage = u[1];
            if (endPage <= decided + 300 && (Double.isNaN(best) || endPage > best)) {
                best = endPage;
            }
        }
        return best;
    }

    /** Markdown rows: stage, p50 and p95 ms after the true end of speech, and the p50 step from the stage before. */
    public String stageTable() {
        StringBuilder sb = new StringBuilder("| stage | p50 ms after true end of speech | p95 | step (p50 − previous p50) | turns |\n|---|---|---|---|---|\n");
        double prev = 0;
        for (Map.Entry<String, Percentiles> e : stages.entrySet()) {
            double p50 = e.getValue().p(50);
            sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %+.0f | %d |%n", e.getKey(), p50, e.getValue().p(95),
                    p50 - prev, e.getValue().count()));
            prev = p50;
        }
        return sb.toString();
    }
}
