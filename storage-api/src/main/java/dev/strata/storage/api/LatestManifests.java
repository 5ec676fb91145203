package dev.strata.storage.api;

import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Picks the latest manifest of each segment from a listing of a layout-2 backend, in which a segment's manifest is in
 * its {@link SegmentIndexBundle} ({@code <stem>.}{@value SegmentIndexBundle#SUFFIX}) until one that replaces it (a
 * deletion's) is stored on its own ({@code <stem>.}{@value #MANIFEST_SUFFIX}). Both backends of Strata, S3 and the
 * filesystem, name a segment's objects this way.
 */
public final class LatestManifests {

    /** The suffix of a manifest stored on its own, after the segment's stem. */
    public static final String MANIFEST_SUFFIX = "manifest";

    private LatestManifests() {}

    /**
     * The names of a listing of manifests and bundles in name order (so a segment's two are next to each other), with
     * one name per segment: its manifest's where it has one, its bundle's otherwise. Closing the result closes
     * {@code names}.
     */
    public static Stream<String> of(Stream<String> names) {
        Iterator<String> listed = names.iterator();
        Iterator<String> latest = new Iterator<>() {
            private String pending;

            @Override
            public boolean hasNext() {
                return pending != null || listed.hasNext();
            }

            @Override
            public String next() {
                String current = pending != null ? pending : listed.next();
                pending = null;
                if (!listed.hasNext()) {
                    return current;
                }
                String following = listed.next();
                if (!stem(current).equals(stem(following))) {
                    pending = following;
                    return current;
                }
                return current.endsWith("." + MANIFEST_SUFFIX) ? current : following;
            }
        };
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(latest, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(names::close);
    }

    /** A manifest's or bundle's name without its suffix: the same for both of one segment. */
    public static String stem(String name) {
        return name.substring(0, name.lastIndexOf('.'));
    }
}
