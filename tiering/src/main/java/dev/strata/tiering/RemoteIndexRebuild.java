package dev.strata.tiering;

import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteIndexStore.RebuildResult;
import dev.strata.storage.api.SegmentManifestStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a broker's lost remote index from the segment manifests its backend holds
 * ({@link SegmentManifestStorage}), before the broker tiers or serves anything.
 *
 * <p>A rebuild runs when the index is empty (a new broker, or its directory was lost) or when an earlier rebuild did
 * not finish. The marker file {@value #IN_PROGRESS_MARKER} in the index directory tells the second case apart: it is
 * written, durably, before the first manifest is read and removed once the last one is restored, so an index that was
 * restored only in part is completed at the next start. Restoring again is harmless: segments the index holds are
 * skipped.
 *
 * <p>A corrupt manifest is logged and counted, and its segment is not restored; it never stops the rebuild. A backend
 * that cannot be listed or read does: the failure is thrown and the marker stays. A broker that went on with a partly
 * rebuilt index would hide history from its readers and copy offsets again that the backend already holds.
 */
public final class RemoteIndexRebuild {

    /** Name of the marker file of an unfinished rebuild, inside the index directory. */
    public static final String IN_PROGRESS_MARKER = "strata-rebuild-in-progress";

    private static final Logger log = LoggerFactory.getLogger(RemoteIndexRebuild.class);

    private RemoteIndexRebuild() {}

    /**
     * Rebuilds {@code store} from {@code manifests} if it is empty or an earlier rebuild was interrupted.
     *
     * @return what the rebuild did; empty when none was needed or the backend holds no manifest
     * @throws RemoteStorageException if the manifests cannot be listed or read; the next call starts over
     * @throws IOException if the marker file cannot be written or removed
     */
    public static Optional<RebuildResult> rebuildIfLost(RemoteIndexStore store, SegmentManifestStorage manifests)
            throws RemoteStorageException, IOException {
        Path marker = store.directory().resolve(IN_PROGRESS_MARKER);
        boolean interrupted = Files.exists(marker);
        if (!interrupted && !store.isEmpty()) {
            return Optional.empty();
        }
        createDurably(marker);
        RebuildResult result;
        try (Stream<byte[]> listed = manifests.listManifests()) {
            Iterator<byte[]> bucket = listed.iterator();
            if (!bucket.hasNext()) {
                deleteDurably(marker);
                return Optional.empty();
            }
            log.info(
                    interrupted
                            ? "Resuming the interrupted rebuild of the remote index in {} from the remote tier's manifests"
                            : "The remote index in {} is empty: rebuilding it from the remote tier's manifests",
                    store.directory());
            result = store.rebuild(() -> bucket);
        } catch (UncheckedIOException e) {
            throw new RemoteStorageException(
                    "Rebuilding the remote index in " + store.directory()
                            + " failed while reading the remote tier's manifests; the next start resumes it: "
                            + e.getMessage(),
                    e);
        }
        deleteDurably(marker);
        if (result.rejectedManifests() > 0) {
            log.warn(
                    "{} corrupt manifests were rejected (each is logged above): the offsets of their segments cannot be"
                            + " read from the remote tier",
                    result.rejectedManifests());
        }
        return Optional.of(result);
    }

    private static void createDurably(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        forceDirectory(file.getParent());
    }

    private static void deleteDurably(Path file) throws IOException {
        Files.deleteIfExists(file);
        forceDirectory(file.getParent());
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
