package dev.strata.cli;

/** An operation failed for a reason the user should read as is: printed as {@code strata: <message>}, exit code 1. */
final class CliException extends RuntimeException {

    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
