package dev.strata.broker.tiering;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.index.RemoteIndexStore;
import dev.strata.storage.api.RemoteObjectStorage;
import dev.strata.storage.api.RemoteObjectStorage.StoredObject;
import dev.strata.tiering.OrphanScrub;
import dev.strata.tiering.RemoteStorageManagers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * {@code bin/strata tier scrub [--delete] <server.properties>}: the orphan scrub of a stopped broker's remote tier. It
 * opens the broker's remote index (which fails while the broker runs: RocksDB locks it) and its backend as the broker
 * would, lists the remote tier, and prints every object no index entry owns ({@link OrphanScrub}); with
 * {@code --delete} it then deletes those orphans, and nothing else. Exit status 0 when it ran (orphans or not), 1 on an
 * error, 2 on a usage error.
 */
public final class TierScrubCommand {

    private static final String USAGE = "usage: strata tier scrub [--delete] <server.properties>";
    /** Orphan segments printed one by one; beyond that only counted. */
    private static final int LISTED_SEGMENTS = 1000;

    private TierScrubCommand() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command; returns its exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean delete = args.length == 2 && args[0].equals("--delete");
        if (!(args.length == 1 && !args[0].startsWith("-") || delete)) {
            err.println(USAGE);
            return 2;
        }
        BrokerConfig config;
        try {
            config = BrokerConfig.load(Path.of(args[args.length - 1]));
        } catch (ConfigException e) {
            err.println("strata: configuration error: " + e.getMessage());
            return 1;
        }
        if (!config.remoteLogStorageSystemEnable()) {
            err.println("strata: " + BrokerConfig.REMOTE_LOG_STORAGE_SYSTEM_ENABLE
                    + " is not true in this configuration: there is no remote tier to scrub");
            return 1;
        }
        try {
            return scrub(config, delete, out);
        } catch (IOException | RemoteStorageException | RuntimeException e) {
            err.println("strata: the scrub failed: " + e.getMessage());
            return 1;
        }
    }

    private static int scrub(BrokerConfig config, boolean delete, PrintStream out)
            throws IOException, RemoteStorageException {
        RemoteStorageManager storage =
                RemoteStorageManagers.load(config.remoteLogStorageManagerClassName(), config.rsmConfigs());
        try {
            if (!(storage instanceof RemoteObjectStorage objects)) {
                throw new IllegalStateException(config.remoteLogStorageManagerClassName()
                        + " cannot list its objects (it does not implement " + RemoteObjectStorage.class.getName()
                        + ")");
            }
            RemoteIndexStore index;
            try {
                index = RemoteIndexStore.open(config.remoteLogIndexDir());
            } catch (IOException e) {
                throw new IOException("Cannot open the remote index (stop the broker first): " + e.getMessage(), e);
            }
            try (index) {
                if (index.isEmpty()) {
                    // every object would look orphaned: the broker rebuilds the index from the manifests at startup
                    throw new IllegalStateException("The remote index in " + config.remoteLogIndexDir()
                            + " is empty; start the broker once so that it rebuilds the index, then scrub");
                }
                OrphanScrub scrub = new OrphanScrub(objects, index);
                OrphanScrub.Report report = scrub.scan();
                print(report, out);
                if (delete && !report.orphans().isEmpty()) {
                    long deleted = scrub.delete(report);
                    out.printf("Deleted %d orphaned objects.%n", deleted);
                } else if (!report.orphans().isEmpty()) {
                    out.println("Nothing was deleted; run again with --delete to delete the orphaned objects.");
                }
                return 0;
            }
        } finally {
            storage.close();
        }
    }

    private static void print(OrphanScrub.Report report, PrintStream out) {
        out.printf(
                "Listed %d objects: %d orphaned objects (%d bytes) in %d segments no index knows, %d foreign objects%n",
                report.objects(),
                report.orphanObjects(),
                report.orphanBytes(),
                report.orphans().size(),
                report.foreign().size());
        int printed = 0;
        for (Map.Entry<String, List<StoredObject>> orphan : report.orphans().entrySet()) {
            if (printed++ == LISTED_SEGMENTS) {
                out.println("  ...");
                break;
            }
            out.printf(
                    "  orphan %s (%d objects)%n",
                    orphan.getKey(), orphan.getValue().size());
        }
        for (StoredObject object : report.foreign()
                .subList(0, Math.min(LISTED_SEGMENTS, report.foreign().size()))) {
            out.printf("  foreign %s (kept)%n", object.key());
        }
    }
}
