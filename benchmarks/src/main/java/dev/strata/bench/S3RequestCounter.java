package dev.strata.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the S3 requests that clients send through a {@link LatencyProxy}, by kind, from the bytes they send: each
 * connection's stream is parsed as HTTP/1.1 requests (request line, headers, then a body of {@code Content-Length}
 * bytes or in {@code chunked} transfer coding), and each request is classified by its method, whether its path names
 * a key ({@code /bucket/key}, path-style) and its query ({@code ?uploads}, {@code ?uploadId=}, {@code ?partNumber=},
 * {@code ?delete}, {@code ?list-type=2}).
 *
 * <p>Only the request side is read, so a request is counted when it is sent, whatever the store answers: a GET of a
 * missing key is a GET, as a store bills it.
 */
final class S3RequestCounter {

    /** What S3 bills a request as. */
    enum Kind {
        PUT,
        CREATE_MULTIPART,
        UPLOAD_PART,
        COMPLETE_MULTIPART,
        GET,
        HEAD,
        LIST,
        DELETE,
        /** A DeleteObjects request ({@code POST ?delete}): one request for up to 1,000 keys. */
        DELETE_OBJECTS,
        OTHER;

        /** Requests that AWS S3 Standard prices as PUT, COPY, POST, LIST. */
        boolean putPriced() {
            return this == PUT
                    || this == CREATE_MULTIPART
                    || this == UPLOAD_PART
                    || this == COMPLETE_MULTIPART
                    || this == LIST;
        }

        /** Requests that AWS S3 Standard prices as GET, SELECT and all other requests. */
        boolean getPriced() {
            return this == GET || this == HEAD || this == OTHER;
        }
    }

    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int CRLF = 0x0d0a;
    private static final int CRLF_CRLF = 0x0d0a0d0a;

    /** GET-priced requests kept for {@link #getPricedSince}. */
    private static final int RECENT = 256;

    private final Map<Kind, LongAdder> counts = new EnumMap<>(Kind.class);
    /** The last {@value #RECENT} GET-priced requests, oldest first; guards {@link #getPricedSeen}. */
    private final ArrayDeque<Seen> recent = new ArrayDeque<>();

    private long getPricedSeen;

    /**
     * A GET-priced request as sent.
     *
     * @param sequence its number among the GET-priced requests, from 1
     * @param nanos when it was seen ({@link System#nanoTime()})
     * @param method its method
     * @param target its request target
     * @param range its {@code Range} header, or empty
     */
    record Seen(long sequence, long nanos, String method, String target, String range) {
        /** {@code GET /bucket/key bytes=0-99 at 12.3 ms}, the time after {@code startNanos}. */
        String describe(long startNanos) {
            return String.format(
                    Locale.ROOT,
                    "%s %s%s at %.1f ms",
                    method,
                    target,
                    range.isEmpty() ? "" : " " + range,
                    (nanos - startNanos) / 1e6);
        }
    }

    S3RequestCounter() {
        for (Kind kind : Kind.values()) {
            counts.put(kind, new LongAdder());
        }
    }

    /** A parser for one new connection, counting into this counter. */
    Parser newConnection() {
        return new Parser();
    }

    /** How many GET-priced requests were seen so far: a mark for {@link #getPricedSince}. */
    long getPricedSequence() {
        synchronized (recent) {
            return getPricedSeen;
        }
    }

    /** The GET-priced requests seen after {@code sequence}, oldest first (at most the last {@value #RECENT}). */
    List<Seen> getPricedSince(long sequence) {
        synchronized (recent) {
            return recent.stream().filter(r -> r.sequence() > sequence).toList();
        }
    }

    private void remember(String method, String target, String range) {
        synchronized (recent) {
            if (recent.size() == RECENT) {
                recent.removeFirst();
            }
            recent.addLast(new Seen(++getPricedSeen, System.nanoTime(), method, target, range));
        }
    }

    /** The counts so far. */
    Counts snapshot() {
        Map<Kind, Long> m = new EnumMap<>(Kind.class);
        counts.forEach((k, v) -> m.put(k, v.sum()));
        return new Counts(m);
    }

    /** Classifies one request by its request line's method and target. */
    static Kind classify(String method, String target) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? "" : "&" + target.substring(q + 1);
        if (path.startsWith("http://") || path.startsWith("https://")) { // absolute form
            int slash = path.indexOf('/', path.indexOf("//") + 2);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        boolean key = path.indexOf('/', 1) > 0 && path.indexOf('/', 1) < path.length() - 1;
        return switch (method) {
            case "PUT" -> has(query, "partNumber") && has(query, "uploadId") ? Kind.UPLOAD_PART : Kind.PUT;
            case "POST" -> {
                if (has(query, "uploads")) {
                    yield Kind.CREATE_MULTIPART;
                }
                if (has(query, "uploadId")) {
                    yield Kind.COMPLETE_MULTIPART;
                }
                yield has(query, "delete") ? Kind.DELETE_OBJECTS : Kind.OTHER;
            }
            case "GET" -> !key || has(query, "uploads") || has(query, "uploadId") ? Kind.LIST : Kind.GET;
            case "HEAD" -> Kind.HEAD;
            case "DELETE" -> Kind.DELETE;
            default -> Kind.OTHER;
        };
    }

    private static boolean has(String query, String parameter) {
        return query.contains("&" + parameter + "=")
                || query.contains("&" + parameter + "&")
                || query.endsWith("&" + parameter);
    }

    /**
     * Counts by kind at one instant; {@link #minus} gives what happened between two.
     *
     * @param counts requests of each kind
     */
    record Counts(Map<Kind, Long> counts) {
        long of(Kind kind) {
            return counts.getOrDefault(kind, 0L);
        }

        Counts minus(Counts earlier) {
            Map<Kind, Long> m = new EnumMap<>(Kind.class);
            counts.forEach((k, v) -> m.put(k, v - earlier.of(k)));
            return new Counts(m);
        }

        /** PUT, COPY, POST and LIST requests: a PUT of an object, each multipart step, and a listing. */
        long putPriced() {
            return counts.entrySet().stream()
                    .filter(e -> e.getKey().putPriced())
                    .mapToLong(Map.Entry::getValue)
                    .sum();
        }

        /** Writes: PUT, and the multipart steps. */
        long puts() {
            return of(Kind.PUT) + of(Kind.CREATE_MULTIPART) + of(Kind.UPLOAD_PART) + of(Kind.COMPLETE_MULTIPART);
        }

        /** GET, HEAD and anything else S3 prices as a GET. */
        long getPriced() {
            return counts.entrySet().stream()
                    .filter(e -> e.getKey().getPriced())
                    .mapToLong(Map.Entry::getValue)
                    .sum();
        }

        long deletes() {
            return of(Kind.DELETE) + of(Kind.DELETE_OBJECTS);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            counts.forEach((k, v) -> m.put(k.name().toLowerCase(Locale.ROOT), v));
            return m;
        }
    }

    /** The request parser of one connection: fed the bytes the client sends, in order, from one thread. */
    final class Parser {
        private final ByteArrayOutputStream head = new ByteArrayOutputStream();
        private State state = State.HEAD;
        private long bodyLeft;
        private boolean chunked;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        /** The last four bytes of the head so far, to see its blank line. */
        private int last4;

        private enum State {
            HEAD,
            BODY,
            CHUNK_SIZE,
            CHUNK_DATA,
            CHUNK_END,
            TRAILER,
            /** Not HTTP as this parser knows it: the rest of the connection is not counted. */
            LOST
        }

        void accept(byte[] bytes, int offset, int length) {
            try {
                parse(bytes, offset, length);
            } catch (RuntimeException e) {
                state = State.LOST; // a malformed number: not HTTP as this parser knows it
            }
        }

        private void parse(byte[] bytes, int offset, int length) {
            int i = offset;
            int end = offset + length;
            while (i < end) {
                switch (state) {
                    case HEAD -> i = head(bytes, i, end);
                    case BODY, CHUNK_DATA -> {
                        int n = (int) Math.min(bodyLeft, end - i);
                        i += n;
                        bodyLeft -= n;
                        if (bodyLeft == 0) {
                            state = state == State.BODY ? State.HEAD : State.CHUNK_END;
                        }
                    }
                    case CHUNK_SIZE, CHUNK_END, TRAILER -> i = chunkLine(bytes, i, end);
                    case LOST -> i = end;
                }
            }
        }

        private int head(byte[] bytes, int i, int end) {
            while (i < end) {
                byte b = bytes[i++];
                head.write(b);
                last4 = last4 << 8 | (b & 0xff);
                if (head.size() == 2 && (last4 & 0xffff) == CRLF) {
                    head.reset(); // a stray CRLF between requests
                } else if (head.size() >= 4 && last4 == CRLF_CRLF) {
                    request(head.toString(StandardCharsets.ISO_8859_1));
                    head.reset();
                    return i;
                }
                if (head.size() > MAX_HEADER_BYTES) {
                    state = State.LOST;
                    return end;
                }
            }
            return i;
        }

        private void request(String text) {
            String[] lines = text.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            if (requestLine.length < 2) {
                state = State.LOST;
                return;
            }
            long contentLength = 0;
            String range = "";
            chunked = false;
            for (int h = 1; h < lines.length; h++) {
                int colon = lines[h].indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = lines[h].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[h].substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    contentLength = Long.parseLong(value);
                } else if (name.equals("range")) {
                    range = value;
                } else if (name.equals("transfer-encoding")
                        && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                    chunked = true;
                }
            }
            Kind kind = classify(requestLine[0], requestLine[1]);
            counts.get(kind).increment();
            if (kind.getPriced()) {
                remember(requestLine[0], requestLine[1], range);
            }
            if (chunked) {
                state = State.CHUNK_SIZE;
            } else if (contentLength > 0) {
                bodyLeft = contentLength;
                state = State.BODY;
            } else {
                state = State.HEAD;
            }
        }

        /** A line of the chunked coding: a chunk's size, the CRLF after its data, or a trailer line. */
        private int chunkLine(byte[] bytes, int i, int end) {
            while (i < end) {
                byte b = bytes[i++];
                line.write(b);
                last4 = last4 << 8 | (b & 0xff);
                if (line.size() >= 2 && (last4 & 0xffff) == CRLF) {
                    String text = line.toString(StandardCharsets.ISO_8859_1);
                    text = text.substring(0, text.length() - 2);
                    line.reset();
                    switch (state) {
                        case CHUNK_SIZE -> {
                            int semicolon = text.indexOf(';');
                            long size =
                                    Long.parseLong((semicolon < 0 ? text : text.substring(0, semicolon)).trim(), 16);
                            if (size == 0) {
                                state = State.TRAILER;
                            } else {
                                bodyLeft = size;
                                state = State.CHUNK_DATA;
                            }
                        }
                        case CHUNK_END -> state = State.CHUNK_SIZE;
                        default -> state = text.isEmpty() ? State.HEAD : State.TRAILER;
                    }
                    return i;
                }
                if (line.size() > MAX_HEADER_BYTES) {
                    state = State.LOST;
                    return end;
                }
            }
            return i;
        }
    }
}
