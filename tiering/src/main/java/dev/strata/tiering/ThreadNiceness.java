package dev.strata.tiering;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux nice value of background threads: with every core busy, the kernel's scheduler gives a thread of nice 10
 * about a tenth of the CPU time of a thread of nice 0, so copies to the remote tier yield the cores to the threads that
 * answer producers and consumers, and take whatever is left. Linux keeps a nice value per thread (not per process, as
 * POSIX would) and a thread inherits it from the thread that starts it, so a niced thread that makes a shared pool
 * start a thread lowers that pool's thread for good: only the uploads are niced, whose work starts no thread of the
 * broker's (the S3 client may start a thread of its timer from one; it only aborts requests that time out). Raising the
 * value needs no privilege, lowering it again does. Set through {@code setpriority(2)} with JNA; elsewhere than on
 * Linux, or where the C library cannot be loaded, threads keep the broker's priority (one WARN says so).
 */
public final class ThreadNiceness {

    /** The highest nice value, the lowest priority. */
    public static final int MAX = 19;

    private static final Logger log = LoggerFactory.getLogger(ThreadNiceness.class);
    private static final boolean LINUX =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    /** {@code PRIO_PROCESS}: with {@code who} 0, on Linux, the calling thread. */
    private static final int PRIO_PROCESS = 0;
    /** Field 19 of {@code /proc/<tid>/stat}, counted from the state (field 3) after the command's parenthesis. */
    private static final int NICE_FIELD_AFTER_COMMAND = 19 - 3;

    private ThreadNiceness() {}

    /**
     * The C library through JNA, loaded on first use; only this class names JNA's types, so that a broker without JNA's
     * jar gets a WARN instead of failing to load {@link ThreadNiceness}.
     */
    private static final class Libc {

        private interface CLibrary extends Library {
            int setpriority(int which, int who, int prio) throws LastErrorException;
        }

        private static final CLibrary C = Native.load("c", CLibrary.class);

        /** {@code setpriority(2)} of the calling thread: 0, or the errno of the failure. */
        static int setCallingThread(int niceness) {
            try {
                C.setpriority(PRIO_PROCESS, 0, niceness);
                return 0;
            } catch (LastErrorException e) {
                return e.getErrorCode();
            }
        }
    }

    private static volatile boolean warned;

    /**
     * Sets the calling thread's nice value to {@code niceness}, in [0, {@value #MAX}]; 0 leaves the thread as it is.
     *
     * @return whether the thread now runs at {@code niceness}
     */
    public static boolean set(int niceness) {
        checkRange(niceness);
        if (niceness == 0) {
            return true;
        }
        if (!LINUX) {
            warnOnce("not on Linux (" + System.getProperty("os.name") + ")");
            return false;
        }
        try {
            int errno = Libc.setCallingThread(niceness);
            if (errno != 0) {
                warnOnce("setpriority(" + niceness + ") failed with errno " + errno);
            }
            return errno == 0;
        } catch (LinkageError | RuntimeException e) {
            // no JNA on the class path, or its native part cannot be loaded (a temporary directory mounted noexec)
            warnOnce("the C library could not be called through JNA: " + e);
            return false;
        }
    }

    /** The calling thread's nice value, from {@code /proc/thread-self/stat}; empty where that file cannot be read. */
    public static OptionalInt current() {
        return of(Path.of("/proc/thread-self/stat"));
    }

    /** The nice value in a thread's {@code stat} file of Linux's {@code /proc}; empty if it cannot be read. */
    public static OptionalInt of(Path stat) {
        try {
            String line = Files.readString(stat);
            // the command (field 2) is in parentheses and may hold spaces and parentheses of its own
            String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
            return OptionalInt.of(Integer.parseInt(fields[NICE_FIELD_AFTER_COMMAND]));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * Daemon threads named {@code prefix} followed by a counter from 1 that set their nice value to {@code niceness}
     * before they run their first task.
     */
    public static ThreadFactory daemonThreads(String prefix, int niceness) {
        checkRange(niceness);
        return daemonThreads(prefix, () -> niceness);
    }

    /**
     * As {@link #daemonThreads(String, int)}, with the nice value {@code niceness} gives when a thread starts (0: the
     * value of the thread that starts it).
     */
    public static ThreadFactory daemonThreads(String prefix, IntSupplier niceness) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(
                    () -> {
                        set(niceness.getAsInt());
                        runnable.run();
                    },
                    prefix + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    static void checkRange(int niceness) {
        if (niceness < 0 || niceness > MAX) {
            throw new IllegalArgumentException("a nice value in [0, " + MAX + "], not " + niceness);
        }
    }

    private static void warnOnce(String why) {
        if (!warned) {
            warned = true;
            log.warn("Threads of copies to the remote tier run at the broker's priority: {}", why);
        }
    }
}
