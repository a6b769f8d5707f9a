package io.omnistream.operators.turn;

import java.util.Objects;

/**
 * Whether the agent is talking to a session right now, as derived from the agent's own responses.
 *
 * <p>Turn-taking needs it to tell a barge-in (customer speaks while the agent talks) from an
 * ordinary turn start. It is derived from the {@code omni.agent} topic that the job itself writes,
 * read back as a source: a loop through Kafka rather than a back edge in the Flink graph.
 */
public class AgentActivity {
    /** Session the answer belongs to. */
    public String sessionId;
    /** The answer being spoken. */
    public String responseId;
    /** True from the first audio chunk of an answer until its final chunk or its cancellation. */
    public boolean speaking;
    /** Wall clock (epoch micros) of the change. */
    public long wallTimeMicros;

    public AgentActivity() {}

    public AgentActivity(String sessionId, String responseId, boolean speaking, long wallTimeMicros) {
        this.sessionId = sessionId;
        this.responseId = responseId;
        this.speaking = speaking;
        this.wallTimeMicros = wallTimeMicros;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AgentActivity)) {
            return false;
        }
        AgentActivity that = (AgentActivity) o;
        return speaking == that.speaking
                && wallTimeMicros == that.wallTimeMicros
                && Objects.equals(sessionId, that.sessionId)
                && Objects.equals(responseId, that.responseId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sessionId, responseId, speaking, wallTimeMicros);
    }

    @Override
    public String toString() {
        return "AgentActivity{" + sessionId + ", " + responseId + ", speaking=" + speaking + ", t=" + wallTimeMicros + "}";
    }
}
