package io.omnistream.connectors.edge;

/**
 * The error codes the signaling socket answers with ({@code {"type":"error","code":...,"message":...}}), so clients
 * and tests can react to a cause rather than parse text. Each is counted in {@code omni_edge_errors_total{code}}.
 */
public enum SignalingError {
    BAD_JSON("bad_json", false),
    UNKNOWN_TYPE("unknown_type", false),
    MESSAGE_TOO_LARGE("message_too_large", true),
    BAD_TOKEN("bad_token", true),
    TOKEN_EXPIRED("token_expired", true),
    /** A resume token that is forged, of another kind, already used on this edge, or for a session hosted here. */
    BAD_RESUME("bad_resume", true),
    /** A resume token past its resume window: the session cannot be continued, start a new one. */
    RESUME_EXPIRED("resume_expired", true),
    UNKNOWN_SESSION("unknown_session", false),
    NOT_JOINED("not_joined", false),
    ALREADY_JOINED("already_joined", false),
    BAD_SDP("bad_sdp", false),
    BAD_CANDIDATE("bad_candidate", false),
    SESSION_LIMIT("session_limit", true),
    RATE_LIMITED("rate_limited", true),
    BAD_ORIGIN("bad_origin", true),
    PEER_FAILED("peer_failed", true),
    INTERNAL("internal", true);

    private final String code;
    private final boolean closes;

    SignalingError(String code, boolean closes) {
        this.code = code;
        this.closes = closes;
    }

    /** The wire code. */
    public String code() {
        return code;
    }

    /** Whether the socket is closed after this error is sent. */
    public boolean closesSocket() {
        return closes;
    }
}
