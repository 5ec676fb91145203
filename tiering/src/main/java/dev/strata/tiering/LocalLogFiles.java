package dev.strata.tiering;

import java.nio.channels.FileChannel;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * A storage backend whose remote segments' logs are plain files on this machine (a directory, an NFS mount): a fetch
 * can send their bytes to the socket from the file, with {@code sendfile}, as it sends the local log's, instead of
 * reading them onto the heap. {@link FileSystemRemoteStorageManager} is one; a backend that encrypts or stores
 * objects elsewhere is not.
 */
public interface LocalLogFiles {

    /**
     * Opens a segment's log for reading, after the checks a ranged fetch of it makes (the file is there and has the size
     * the segment's checksum record says). The caller closes the channel.
     *
     * @throws RemoteStorageException if the log cannot be opened; caused by a
     *     {@link org.apache.kafka.common.errors.CorruptRecordException} when it is missing or has the wrong size
     */
    FileChannel openLog(RemoteLogSegmentMetadata segment) throws RemoteStorageException;
}
