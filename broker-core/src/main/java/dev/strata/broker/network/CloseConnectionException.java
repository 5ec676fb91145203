package dev.strata.broker.network;

/**
 * Completes a request's response future when the only way to tell the client something is to close the connection,
 * as for a failed produce with acks=0, which has no response to carry the error.
 */
public final class CloseConnectionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CloseConnectionException(String message) {
        super(message, null, false, false);
    }
}
