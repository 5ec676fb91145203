package dev.strata.tiering;

import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegmentId;
import dev.strata.storage.api.RemoteObjectStorage;
import dev.strata.storage.api.RemoteObjectStorage.StoredObject;
import dev.strata.storage.api.SegmentIndexBundle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * Finds the objects of the remote tier that the remote index does not know: orphans, such as the files of a segment
 * whose manifest was corrupt when the index was rebuilt, or what a deletion left behind after its record was lost. No
 * reader can reach them and no retention will delete them. The scrub reports them; only {@link #delete} removes them,
 * and nothing in the broker calls it: history is deleted by retention or by a user's explicit action, never because a
 * scan could not place an object.
 *
 * <p>An object belongs to a segment when its key follows the backends' layout, {@code <topic>-<topic id>/<partition>/
 * <20-digit start offset>-<segment id>.<suffix>}. A segment the index holds in any state (a copy or deletion under way
 * included: the index records a copy before its first upload and forgets a deletion only after its last delete) is
 * known. A key outside the layout is foreign: reported, never deleted, since Strata did not write it.
 *
 * <p>Against a running broker a deletion can finish between the listing and the index lookup, making its last
 * objects look orphaned. So each candidate segment is listed and looked up a second time after the whole listing, and
 * only what is still there and still unknown is reported.
 */
public final class OrphanScrub {

    /** {@code <topic>-<22-char topic id>/<partition>/<20 digits>-<22-char segment id>.<suffix>}. */
    private static final Pattern SEGMENT_KEY =
            Pattern.compile(".+-([A-Za-z0-9_-]{22})/(\\d+)/(\\d{20}-([A-Za-z0-9_-]{22}))\\.[^/]+");

    private final RemoteObjectStorage objects;
    private final RemoteIndexStore index;

    public OrphanScrub(RemoteObjectStorage objects, RemoteIndexStore index) {
        this.objects = objects;
        this.index = index;
    }

    /**
     * What a scrub found.
     *
     * @param objects objects listed
     * @param orphans the objects of segments the index does not know, by segment (its key without the suffix)
     * @param foreign objects whose key follows no segment layout
     */
    public record Report(long objects, Map<String, List<StoredObject>> orphans, List<StoredObject> foreign) {

        public long orphanObjects() {
            return orphans.values().stream().mapToLong(List::size).sum();
        }

        public long orphanBytes() {
            return orphans.values().stream()
                    .flatMap(List::stream)
                    .mapToLong(StoredObject::sizeBytes)
                    .sum();
        }
    }

    /**
     * Lists every object and looks up each one's segment in the index.
     *
     * @throws RemoteStorageException if the listing fails
     */
    public Report scan() throws RemoteStorageException {
        Map<String, RemoteSegmentId> candidates = new LinkedHashMap<>();
        List<StoredObject> foreign = new ArrayList<>();
        long listed = 0;
        try (Stream<StoredObject> all = objects.listObjects("")) {
            for (StoredObject object : (Iterable<StoredObject>) all::iterator) {
                listed++;
                Optional<Segment> segment = segmentOf(object.key());
                if (segment.isEmpty()) {
                    foreign.add(object);
                } else if (!known(segment.get().id())) {
                    candidates.putIfAbsent(segment.get().base(), segment.get().id());
                }
            }
        } catch (java.io.UncheckedIOException e) {
            throw new RemoteStorageException("Listing the remote tier failed: " + e.getMessage(), e);
        }
        Map<String, List<StoredObject>> orphans = new LinkedHashMap<>();
        for (Map.Entry<String, RemoteSegmentId> candidate : candidates.entrySet()) {
            List<StoredObject> left;
            try (Stream<StoredObject> again = objects.listObjects(candidate.getKey() + ".")) {
                left = again.toList();
            }
            if (!left.isEmpty() && !known(candidate.getValue())) {
                orphans.put(candidate.getKey(), left);
            }
        }
        return new Report(listed, orphans, List.copyOf(foreign));
    }

    /**
     * Deletes the orphans of {@code report}, each segment's manifest first (also a bundle holding one), so that an interrupted deletion never
     * leaves a manifest whose data is gone (a rebuild would take it for history). A segment the index has come to know
     * since the scan is left alone.
     *
     * @return the objects deleted
     * @throws RemoteStorageException if an object cannot be deleted; running the scrub again resumes
     */
    public long delete(Report report) throws RemoteStorageException {
        long deleted = 0;
        for (Map.Entry<String, List<StoredObject>> orphan : report.orphans().entrySet()) {
            Optional<Segment> segment = segmentOf(orphan.getValue().get(0).key());
            if (segment.isEmpty() || known(segment.get().id())) {
                continue;
            }
            List<StoredObject> manifestFirst = new ArrayList<>(orphan.getValue());
            manifestFirst.sort((a, b) -> Boolean.compare(!isManifest(a), !isManifest(b)));
            for (StoredObject object : manifestFirst) {
                objects.deleteObject(object.key());
                deleted++;
            }
        }
        return deleted;
    }

    private boolean known(RemoteSegmentId id) {
        try {
            return index.segment(id).isPresent();
        } catch (IllegalArgumentException e) {
            // the index holds this segment id under another partition: not an object to touch
            return true;
        }
    }

    /** A manifest object, or a layout-2 segment's bundle, whose first section is its manifest. */
    private static boolean isManifest(StoredObject object) {
        return object.key().endsWith(".manifest") || object.key().endsWith("." + SegmentIndexBundle.SUFFIX);
    }

    /** A segment as named by an object key: its key without the suffix, and its index id. */
    private record Segment(String base, RemoteSegmentId id) {}

    private static Optional<Segment> segmentOf(String key) {
        Matcher matcher = SEGMENT_KEY.matcher(key);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        try {
            UUID topicId = uuid(matcher.group(1));
            int partition = Integer.parseInt(matcher.group(2));
            UUID segmentId = uuid(matcher.group(4));
            String base = key.substring(0, matcher.end(3));
            return Optional.of(new Segment(base, new RemoteSegmentId(new PartitionKey(topicId, partition), segmentId)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static UUID uuid(String kafkaUuid) {
        Uuid id = Uuid.fromString(kafkaUuid);
        return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
