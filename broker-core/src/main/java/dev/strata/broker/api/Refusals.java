package dev.strata.broker.api;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * The one move of partial authorization: take what the caller may not touch out of a request's list, let the handler
 * answer the rest, then add the refused items' answers to its response. The generated request and response classes
 * share no interface, so each API says how to answer one refused item.
 */
final class Refusals {
    private Refusals() {}

    /** Removes the elements that {@code test} picks; returns them. */
    static <T> List<T> removeIf(Collection<T> elements, Predicate<T> test) {
        List<T> removed = new ArrayList<>();
        for (T e : List.copyOf(elements)) {
            if (test.test(e)) {
                removed.add(e);
            }
        }
        removed.forEach(elements::remove);
        return removed;
    }

    /**
     * Removes the items {@code refused} picks from {@code items} (a list of the request), then runs {@code handle} and
     * adds each removed item's answer to its response with {@code answer}. A null response (a produce with acks=0)
     * stays null.
     */
    static <T> CompletableFuture<ApiMessage> serveAllowed(
            Collection<T> items,
            Predicate<T> refused,
            Supplier<CompletableFuture<ApiMessage>> handle,
            BiConsumer<ApiMessage, T> answer) {
        List<T> removed = removeIf(items, refused);
        CompletableFuture<ApiMessage> response = handle.get();
        if (removed.isEmpty()) {
            return response;
        }
        return response.thenApply(r -> {
            if (r != null) {
                removed.forEach(item -> answer.accept(r, item));
            }
            return r;
        });
    }
}
