package dev.strata.broker.network;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * The {@code throttle_time_ms} of a response body, for every response type that has one (most do, under the same
 * generated accessor names): what a quota writes into a response and what the connection reads back to hold the
 * client for as long. Looked up once per message class. Stateless; any thread.
 */
public final class ThrottleTimes {
    private record Accessors(MethodHandle get, MethodHandle set) {}

    private static final ClassValue<Optional<Accessors>> ACCESSORS = new ClassValue<>() {
        @Override
        protected Optional<Accessors> computeValue(Class<?> type) {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            try {
                return Optional.of(new Accessors(
                        lookup.findVirtual(type, "throttleTimeMs", MethodType.methodType(int.class)),
                        lookup.findVirtual(type, "setThrottleTimeMs", MethodType.methodType(type, int.class))));
            } catch (NoSuchMethodException | IllegalAccessException e) {
                return Optional.empty();
            }
        }
    };

    private ThrottleTimes() {}

    /** The response's throttle time; 0 for a response without the field. */
    public static int of(ApiMessage response) {
        Optional<Accessors> a = ACCESSORS.get(response.getClass());
        if (a.isEmpty()) {
            return 0;
        }
        try {
            return (int) a.get().get().invoke(response);
        } catch (Throwable e) {
            throw new IllegalStateException("Cannot read the throttle time of " + response.getClass(), e);
        }
    }

    /**
     * Raises the response's throttle time to {@code ms} if it is lower; whether the response has the field (a
     * response without it cannot tell its client to wait).
     */
    public static boolean raise(ApiMessage response, int ms) {
        Optional<Accessors> a = ACCESSORS.get(response.getClass());
        if (a.isEmpty()) {
            return false;
        }
        try {
            if ((int) a.get().get().invoke(response) < ms) {
                a.get().set().invoke(response, ms);
            }
            return true;
        } catch (Throwable e) {
            throw new IllegalStateException("Cannot set the throttle time of " + response.getClass(), e);
        }
    }
}
