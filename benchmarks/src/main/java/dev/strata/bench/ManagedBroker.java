package dev.strata.bench;

import java.nio.file.Path;

/** A broker the benchmarks started in a child JVM and stop again on {@link #close()}. */
public interface ManagedBroker extends AutoCloseable {

    /** {@code 127.0.0.1:<port>} of its PLAINTEXT listener. */
    String bootstrap();

    /** The file holding its standard output and error. */
    Path log();

    /** Its {@code log.dirs}, one directory. */
    Path dataDir();

    /** Stops it and deletes its data; does not throw. */
    @Override
    void close();
}
