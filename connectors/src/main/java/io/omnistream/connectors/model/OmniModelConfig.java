package io.omnistream.connectors.model;

import java.io.Serializable;
import java.time.Duration;

/**
 * Settings of the remote omni model (an OpenAI-compatible streaming chat-completions endpoint such as
 * vLLM serving Qwen3-Omni), with defaults for a model on the local network.
 */
public class OmniModelConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Base URL up to and including /v1. */
    public String baseUrl = "http://localhost:8000/v1";
    /** Bearer token, or null. */
    public String apiKey = null;
    public String model = "Qwen/Qwen3-Omni-30B-A3B-Instruct";
    public String systemPrompt = "You are a friendly customer-service agent on a voice call. The customer's words, their voice "
            + "and their shared screen are attached. Answer in at most three short spoken sentences; name any error code you see.";
    public int maxTokens = 160;
    public double temperature = 0.3;
    /** Audio of the turn sent along (the last seconds). */
    public Duration maxAudio = Duration.ofSeconds(8);

    public Duration connectTimeout = Duration.ofSeconds(2);
    /** From sending the request to the first token. */
    public Duration firstTokenTimeout = Duration.ofSeconds(3);
    /** Whole answer. */
    public Duration totalTimeout = Duration.ofSeconds(15);
    /** Retries when no token was received yet (connection refused, HTTP 5xx/429, first-token timeout). */
    public int maxRetries = 2;
    public Duration retryBackoff = Duration.ofMillis(100);

    /** Consecutive failed requests that open the circuit breaker. */
    public int breakerFailureThreshold = 3;
    /** How long an open breaker fails requests at once before letting one trial through. */
    public Duration breakerOpenFor = Duration.ofSeconds(10);

    /** Async I/O: requests in flight per operator instance. */
    public int asyncCapacity = 32;

    public OmniModelConfig() {}
}
