package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proves that an older client line, kafka-clients 3.9 (which negotiates lower API versions than the 4.x line the
 * broker is built with), produces to and consumes from the broker. The 3.9 jar, copied to {@code target/old-clients}
 * by the build, is loaded in a class loader of its own that shares only logging and the compression libraries with
 * the test, and is driven by reflection.
 */
class OldClientIT {

    private static final String OLD_VERSION = "3.9.1";
    private static final String TOPIC = "old-client";
    private static final int RECORDS = 100;

    @RegisterExtension
    static final TestBroker broker = TestBroker.create();

    private static URLClassLoader oldClients;

    @BeforeAll
    static void loadOldClients() throws IOException {
        Path dir = Path.of(System.getProperty("strata.oldClientsDir", "target/old-clients"));
        Path jar = dir.resolve("kafka-clients-" + OLD_VERSION + ".jar");
        assertThat(jar)
                .as("kafka-clients %s copied by maven-dependency-plugin (generate-test-resources)", OLD_VERSION)
                .exists();
        oldClients = new URLClassLoader(
                "kafka-clients-" + OLD_VERSION,
                new URL[] {jar.toUri().toURL()},
                new SharedLibraries(OldClientIT.class.getClassLoader()));
    }

    @AfterAll
    static void closeOldClients() throws IOException {
        if (oldClients != null) {
            oldClients.close();
        }
    }

    @Test
    void kafkaClients39ProducesAndConsumesOneHundredRecords() throws Exception {
        assertThat(invokeStatic("org.apache.kafka.common.utils.AppInfoParser", "getVersion"))
                .isEqualTo(OLD_VERSION);
        broker.createTopic(TOPIC, 2, Map.of());

        List<String> sent = new ArrayList<>();
        withOldClientsAsContextLoader(() -> {
            Properties props = new Properties();
            props.put("bootstrap.servers", broker.bootstrapServers());
            props.put("acks", "all");
            props.put("max.block.ms", "20000");
            Object producer = newOld(
                    "org.apache.kafka.clients.producer.KafkaProducer",
                    new Class<?>[] {
                        Properties.class,
                        oldClass("org.apache.kafka.common.serialization.Serializer"),
                        oldClass("org.apache.kafka.common.serialization.Serializer")
                    },
                    props,
                    newOld("org.apache.kafka.common.serialization.StringSerializer"),
                    newOld("org.apache.kafka.common.serialization.StringSerializer"));
            try {
                List<Future<?>> acks = new ArrayList<>();
                for (int i = 0; i < RECORDS; i++) {
                    String value = "old-" + i;
                    Object record = newOld(
                            "org.apache.kafka.clients.producer.ProducerRecord",
                            new Class<?>[] {String.class, Integer.class, Object.class, Object.class},
                            TOPIC,
                            i % 2,
                            "k" + i,
                            value);
                    acks.add((Future<?>) invoke(producer, "send", record));
                    sent.add(value);
                }
                invoke(producer, "flush");
                for (Future<?> ack : acks) {
                    Object metadata = ack.get(30, TimeUnit.SECONDS);
                    assertThat((Long) invoke(metadata, "offset")).isBetween(0L, (long) RECORDS);
                }
            } finally {
                invoke(producer, "close");
            }
        });

        List<String> received = new ArrayList<>();
        withOldClientsAsContextLoader(() -> {
            Properties props = new Properties();
            props.put("bootstrap.servers", broker.bootstrapServers());
            props.put("enable.auto.commit", "false");
            props.put("auto.offset.reset", "earliest");
            Object consumer = newOld(
                    "org.apache.kafka.clients.consumer.KafkaConsumer",
                    new Class<?>[] {
                        Properties.class,
                        oldClass("org.apache.kafka.common.serialization.Deserializer"),
                        oldClass("org.apache.kafka.common.serialization.Deserializer")
                    },
                    props,
                    newOld("org.apache.kafka.common.serialization.StringDeserializer"),
                    newOld("org.apache.kafka.common.serialization.StringDeserializer"));
            try {
                List<Object> partitions = new ArrayList<>();
                for (int p = 0; p < 2; p++) {
                    partitions.add(newOld(
                            "org.apache.kafka.common.TopicPartition",
                            new Class<?>[] {String.class, int.class},
                            TOPIC,
                            p));
                }
                invoke(consumer, "assign", partitions);
                invoke(consumer, "seekToBeginning", partitions);
                Await.until(Duration.ofSeconds(60), RECORDS + " records through the 3.9 consumer", () -> {
                    Iterable<?> records = (Iterable<?>) invoke(consumer, "poll", Duration.ofMillis(200));
                    for (Object record : records) {
                        received.add((String) invoke(record, "value"));
                    }
                    return received.size() >= RECORDS;
                });
            } finally {
                invoke(consumer, "close");
            }
        });

        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(received.stream()
                        .filter(v -> Integer.parseInt(v.substring(4)) % 2 == 0)
                        .toList())
                .as("partition 0 in send order")
                .containsExactlyElementsOf(sent.stream()
                        .filter(v -> Integer.parseInt(v.substring(4)) % 2 == 0)
                        .toList());
    }

    /** Kafka 3.9 loads configured classes (assignors, interceptors) through the context class loader. */
    private static void withOldClientsAsContextLoader(ThrowingRunnable body) throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(oldClients);
        try {
            body.run();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static Class<?> oldClass(String name) throws ClassNotFoundException {
        Class<?> type = Class.forName(name, true, oldClients);
        assertThat(type.getClassLoader())
                .as("%s comes from the %s jar", name, OLD_VERSION)
                .isSameAs(oldClients);
        return type;
    }

    private static Object newOld(String className) throws ReflectiveOperationException {
        return oldClass(className).getConstructor().newInstance();
    }

    private static Object newOld(String className, Class<?>[] types, Object... args)
            throws ReflectiveOperationException {
        return oldClass(className).getConstructor(types).newInstance(args);
    }

    private static Object invokeStatic(String className, String method) throws ReflectiveOperationException {
        return oldClass(className).getMethod(method).invoke(null);
    }

    /** Calls the public method {@code name} that takes {@code args.length} parameters assignable from the args. */
    private static Object invoke(Object target, String name, Object... args) {
        Method method = Stream.of(target.getClass().getMethods())
                .filter(m -> m.getName().equals(name) && m.getParameterCount() == args.length)
                .filter(m -> accepts(m.getParameterTypes(), args))
                .findFirst()
                .orElseThrow(() ->
                        new AssertionError("no method " + name + Arrays.toString(args) + " on " + target.getClass()));
        try {
            method.trySetAccessible();
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw new AssertionError(name + " failed in kafka-clients " + OLD_VERSION, e.getCause());
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean accepts(Class<?>[] types, Object[] args) {
        for (int i = 0; i < types.length; i++) {
            if (args[i] != null && !types[i].isInstance(args[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * The old client's parent: the JDK through the platform class loader, plus SLF4J and the compression libraries
     * (LZ4, Snappy, Zstd, all API-compatible across the two client lines) from the test's own class loader.
     */
    private static final class SharedLibraries extends ClassLoader {

        private static final List<String> SHARED_PACKAGES =
                List.of("org.slf4j.", "net.jpountz.", "org.xerial.snappy.", "com.github.luben.zstd.");

        private final ClassLoader testLoader;

        SharedLibraries(ClassLoader testLoader) {
            super("shared-libraries", ClassLoader.getPlatformClassLoader());
            this.testLoader = testLoader;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (SHARED_PACKAGES.stream().anyMatch(name::startsWith)) {
                return testLoader.loadClass(name);
            }
            throw new ClassNotFoundException(name);
        }
    }
}
