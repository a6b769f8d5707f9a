package io.omnistream.connectors.kafka.serde;

/** Thrown when bytes are not a valid binary Avro record of the expected type. */
public class MalformedRecordException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MalformedRecordException(String message) {
        super(message);
    }

    public MalformedRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
