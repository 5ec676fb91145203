package dev.strata.broker.it;

import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A small file system a test can fill: a tmpfs of a few MiB mounted under the test's directory. Mounting needs root;
 * elsewhere {@link #mount} skips the test (an assumption fails), never fails it.
 */
final class SmallDisk implements AutoCloseable {
    private final Path path;

    private SmallDisk(Path path) {
        this.path = path;
    }

    /**
     * Mounts a tmpfs of {@code size} (as {@code mount -o size=} takes it: {@code 6m}) at {@code path}.
     *
     * @throws org.opentest4j.TestAbortedException when not root or the mount fails: the test is skipped
     */
    static SmallDisk mount(Path path, String size) throws IOException, InterruptedException {
        assumeThat(System.getProperty("user.name"))
                .as("mounting a tmpfs needs root")
                .isEqualTo("root");
        Files.createDirectories(path);
        assumeThat(run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path.toString()))
                .as("mount -t tmpfs works here")
                .isZero();
        return new SmallDisk(path);
    }

    Path path() {
        return path;
    }

    /** Grows (or shrinks) the file system to {@code size}, keeping its files; true if it worked. */
    boolean resize(String size) throws IOException, InterruptedException {
        return run("mount", "-o", "remount,size=" + size, path.toString()) == 0;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("umount", "-l", path.toString());
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
