package dev.strata.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading server.properties: Kafka's names and defaults, and readable errors for bad values. */
class BrokerConfigTest {
    @TempDir
    Path dir;

    @Test
    void theQuorumListenerTakesPlaintextOrMutualTlsOnly() {
        Map<String, String> settings = new HashMap<>();
        settings.put("node.id", "1");
        settings.put("listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093");
        settings.put("controller.listener.names", "CONTROLLER");
        settings.put("controller.quorum.voters", "1@127.0.0.1:9093");
        settings.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:SSL");
        assertThat(BrokerConfig.of(settings).controllerProtocol()).isEqualTo(SecurityProtocol.SSL);
        settings.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_SSL");
        assertThatThrownBy(() -> BrokerConfig.of(settings))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listener.security.protocol.map")
                .hasMessageContaining("PLAINTEXT or SSL");
    }

    @Test
    void readsAKafkaStylePropertiesFile() throws Exception {
        Path file = dir.resolve("server.properties");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "listeners=PLAINTEXT://127.0.0.1:19092",
                        "log.dirs=" + dir.resolve("a") + "," + dir.resolve("b"),
                        "num.partitions=4",
                        "log.retention.hours=2",
                        "log.segment.bytes=1048576",
                        "log.message.timestamp.type=LogAppendTime"));
        BrokerConfig config = BrokerConfig.load(file);
        assertThat(config.listener()).isEqualTo(new BrokerConfig.Listener("PLAINTEXT", "127.0.0.1", 19092));
        assertThat(config.logDirs()).containsExactly(dir.resolve("a"), dir.resolve("b"));
        assertThat(config.numPartitions()).isEqualTo(4);
        var log = config.logConfig(Map.of("segment.bytes", "2048"));
        assertThat(log.retentionMs()).isEqualTo(2 * 3_600_000L);
        assertThat(log.segmentBytes()).isEqualTo(2048);
        assertThat(log.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    }

    @Test
    void hasKafkasDefaults() {
        BrokerConfig config = BrokerConfig.of(Map.of("log.dirs", dir.toString()));
        assertThat(config.listener().port()).isEqualTo(9092);
        assertThat(config.autoCreateTopics()).isTrue();
        assertThat(config.socketRequestMaxBytes()).isEqualTo(100 * 1024 * 1024);
        assertThat(config.logConfig(Map.of()).segmentBytes()).isEqualTo(1024 * 1024 * 1024);
    }

    @Test
    void uploadsRunAtNiceTenUnlessSetAndANiceValueOutsideZeroToNineteenIsRefused() {
        assertThat(BrokerConfig.of(Map.of("log.dirs", dir.toString())).remoteLogManagerUploadThreadNiceness())
                .isEqualTo(10);
        assertThat(BrokerConfig.of(Map.of("remote.log.manager.upload.thread.niceness", "0"))
                        .remoteLogManagerUploadThreadNiceness())
                .isZero();
        for (String bad : List.of("-1", "20", "low")) {
            assertThatThrownBy(() -> BrokerConfig.of(Map.of("remote.log.manager.upload.thread.niceness", bad)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("remote.log.manager.upload.thread.niceness");
        }
    }

    @Test
    void namesTheBadSettingInItsError() {
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("num.partitions", "many")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("num.partitions");
        // as Kafka requires, a failed authentication's delay ends before an idle connection would be closed
        assertThatThrownBy(() -> BrokerConfig.of(
                        Map.of("connection.failed.authentication.delay.ms", "5000", "connections.max.idle.ms", "5000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("connection.failed.authentication.delay.ms")
                .hasMessageContaining("less than connections.max.idle.ms");
        // Kafka's old ZooKeeper-era authorizer is not one Strata has
        assertThatThrownBy(() ->
                        BrokerConfig.of(Map.of("authorizer.class.name", "kafka.security.authorizer.AclAuthorizer")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("authorizer.class.name");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("listeners", "127.0.0.1:9092")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listeners");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("log.segment.bytes", "-5")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("segment.bytes");
        assertThatThrownBy(() -> BrokerConfig.load(dir.resolve("missing.properties")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("missing.properties");
    }

    @Test
    void theMetricsListenerIsOffUnlessSetAndABadValueNamesTheSetting() {
        assertThat(BrokerConfig.of(Map.of()).metricsPrometheusListener()).isEmpty();
        assertThat(BrokerConfig.of(Map.of("metrics.prometheus.listener", " ")).metricsPrometheusListener())
                .isEmpty();
        InetSocketAddress listener = BrokerConfig.of(Map.of("metrics.prometheus.listener", "127.0.0.1:9404"))
                .metricsPrometheusListener()
                .orElseThrow();
        assertThat(listener.getHostString()).isEqualTo("127.0.0.1");
        assertThat(listener.getPort()).isEqualTo(9404);
        assertThat(BrokerConfig.of(Map.of("metrics.prometheus.listener", "[::1]:0"))
                        .metricsPrometheusListener()
                        .orElseThrow()
                        .getHostString())
                .isEqualTo("::1");

        for (String bad : new String[] {
            "9404", ":9404", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536", "http://127.0.0.1:9404"
        }) {
            assertThatThrownBy(() -> BrokerConfig.of(Map.of("metrics.prometheus.listener", bad)))
                    .as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("metrics.prometheus.listener")
                    .hasMessageContaining("host:port");
        }
    }

    @Test
    void theConsoleIsOffUnlessSetAndABadValueNamesItsSetting() {
        assertThat(BrokerConfig.of(Map.of()).consoleListener()).isEmpty();
        InetSocketAddress console = BrokerConfig.of(Map.of("console.listener", "127.0.0.1:0"))
                .consoleListener()
                .orElseThrow();
        assertThat(console.getHostString()).isEqualTo("127.0.0.1");
        assertThat(console.getPort()).isZero();

        assertThatThrownBy(() -> BrokerConfig.of(Map.of("console.listener", "http://127.0.0.1:9480")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("console.listener")
                .hasMessageContaining("host:port");
    }

    @Test
    void tieringIsOffByDefaultAndItsSettingsHaveKafkasNamesAndEmbeddedDefaults() {
        BrokerConfig off = BrokerConfig.of(Map.of("log.dirs", dir.toString()));
        assertThat(off.remoteLogStorageSystemEnable()).isFalse();
        assertThat(off.logConfig(Map.of("remote.storage.enable", "true")).remoteStorageEnable())
                .as("a topic is tiered only on a broker that tiers")
                .isFalse();

        BrokerConfig on =
                BrokerConfig.of(Map.of("log.dirs", dir.toString(), "remote.log.storage.system.enable", "true"));
        assertThat(on.remoteLogStorageManagerClassName())
                .isEqualTo("dev.strata.tiering.FileSystemRemoteStorageManager");
        assertThat(on.rsmConfigs())
                .containsEntry("dir", dir.resolve("remote-tier").toString());
        assertThat(on.remoteLogIndexDir()).isEqualTo(dir.resolve("__remote_index"));
        assertThat(on.remoteLogManagerTaskIntervalMs()).isEqualTo(30_000L);
        assertThat(on.remoteLogReaderThreads()).isEqualTo(10);
        assertThat(on.remoteLogManagerCopyMaxBytesPerSecond()).isEmpty();
        assertThat(on.logConfig(Map.of("remote.storage.enable", "true")).remoteStorageEnable())
                .isTrue();
        assertThat(on.logConfig(Map.of()).remoteStorageEnable()).isFalse();

        BrokerConfig custom = BrokerConfig.of(Map.of(
                "log.dirs", dir.toString(),
                "remote.log.storage.system.enable", "true",
                "rsm.config.dir", "/elsewhere",
                "remote.log.manager.copy.max.bytes.per.second", "1000"));
        assertThat(custom.rsmConfigs()).containsEntry("dir", "/elsewhere");
        assertThat(custom.remoteLogManagerCopyMaxBytesPerSecond()).hasValue(1000L);
        assertThatThrownBy(() -> BrokerConfig.of(
                        Map.of("remote.log.storage.system.enable", "true", "remote.log.reader.threads", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("remote.log.reader.threads");
    }

    @Test
    void remoteFetchMaxWaitDefaultsToKafkasAndRejectsBadValues() {
        assertThat(BrokerConfig.of(Map.of("log.dirs", dir.toString())).remoteFetchMaxWaitMs())
                .isEqualTo(500);
        assertThat(BrokerConfig.of(Map.of("log.dirs", dir.toString(), "remote.fetch.max.wait.ms", "50"))
                        .remoteFetchMaxWaitMs())
                .isEqualTo(50);
        for (String bad : new String[] {"0", "-1", "soon", "99999999999"}) {
            assertThatThrownBy(
                            () -> BrokerConfig.of(Map.of("log.dirs", dir.toString(), "remote.fetch.max.wait.ms", bad)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("remote.fetch.max.wait.ms")
                    .hasMessageContaining(bad);
        }
    }

    @Test
    void aTieringBrokerRefusesALocalRetentionAboveItsRetention() {
        Map<String, String> settings =
                Map.of("log.dirs", dir.toString(), "log.retention.hours", "1", "log.local.retention.ms", "7200000");
        BrokerConfig.of(settings);
        Map<String, String> tiering = new HashMap<>(settings);
        tiering.put("remote.log.storage.system.enable", "true");
        assertThatThrownBy(() -> BrokerConfig.of(tiering))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("local.retention.ms")
                .hasMessageContaining("3600000");
    }

    @Test
    void everySettingReadsItsDefaultFromTheOneDefinition() {
        BrokerConfig config = BrokerConfig.of(Map.of("log.dirs", dir.toString(), "group.max.size", "7"));
        assertThat(config.intValue(BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS)).isEqualTo(6_000);
        assertThat(config.intValue(BrokerConfig.GROUP_MAX_SIZE)).isEqualTo(7);
        assertThat(config.longValue(BrokerConfig.OFFSETS_RETENTION_MINUTES)).isEqualTo(7 * 24 * 60L);
        assertThat(config.cleanerConfig()).isEqualTo(CleanerConfig.defaults());
        assertThat(config.chunkCacheConfig().chunkSize())
                .isEqualTo(BrokerConfigs.DEF.configKeys().get("remote.log.chunk.size").defaultValue);
        assertThat(BrokerConfigs.DEF.configKeys().get("log.segment.bytes").defaultValue)
                .as("a topic default's broker synonym has the topic config's definition")
                .isEqualTo(TopicConfigs.DEF.configKeys().get("segment.bytes").defaultValue);
        assertThatThrownBy(() -> config.intValue("no.such.setting"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no.such.setting");
    }

    @Test
    void unknownKeysAreKeptAndBadValuesOfAnyDefinedSettingNameTheKey() {
        BrokerConfig config = BrokerConfig.of(Map.of("log.dirs", dir.toString(), "some.plugin.setting", "x"));
        assertThat(config.values()).containsEntry("some.plugin.setting", "x");
        for (String key : new String[] {
            "group.min.session.timeout.ms", "log.cleaner.threads", "log.cleaner.enable", "log.retention.hours"
        }) {
            assertThatThrownBy(() -> BrokerConfig.of(Map.of("log.dirs", dir.toString(), key, "lots")))
                    .as(key)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(key);
        }
    }

    @Test
    void kraftStyleListenersSplitIntoTheClientListenerAndTheControllerListener() {
        BrokerConfig config = BrokerConfig.of(Map.of(
                "listeners", "PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193",
                "advertised.listeners", "PLAINTEXT://localhost:9192",
                "controller.listener.names", "CONTROLLER",
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"));
        assertThat(config.listener()).isEqualTo(new BrokerConfig.Listener("PLAINTEXT", "127.0.0.1", 9192));
        assertThat(config.controllerListener()).contains(new BrokerConfig.Listener("CONTROLLER", "127.0.0.1", 9193));
        assertThat(config.advertisedListener()).isEqualTo(new BrokerConfig.Listener("PLAINTEXT", "localhost", 9192));
    }

    @Test
    void listenerMistakesNameTheSetting() {
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("listeners", "INTERNAL://:1,EXTERNAL://:2")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("INTERNAL has no security protocol in listener.security.protocol.map");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of(
                        "listeners",
                        "INTERNAL://:1,EXTERNAL://:2",
                        "listener.security.protocol.map",
                        "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("inter.broker.listener.name");
        assertThatThrownBy(
                        () -> BrokerConfig.of(Map.of("listeners", "X://:1", "listener.security.protocol.map", "X:TLS")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown security protocol TLS");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("listeners", "PLAINTEXT://:1,PLAINTEXT://:2")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("used twice");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("ssl.client.auth", "always")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("ssl.client.auth");
    }

    @Test
    void severalListenersEachWithItsProtocolAdvertisedAddressAndInterBrokerChoice() {
        BrokerConfig config = BrokerConfig.of(Map.of(
                "listeners", "INTERNAL://127.0.0.1:9092,EXTERNAL://0.0.0.0:9093,SECURE://0.0.0.0:9094",
                "advertised.listeners", "EXTERNAL://kafka.example.com:9093,SECURE://kafka.example.com:9094",
                "listener.security.protocol.map", "INTERNAL:PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,SECURE:SASL_PLAINTEXT",
                "inter.broker.listener.name", "INTERNAL",
                "sasl.enabled.mechanisms", "PLAIN",
                "listener.name.external.plain.sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required user_a=\"x\";",
                "listener.name.secure.plain.sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required user_b=\"y\";"));
        assertThat(config.clientListeners())
                .extracting(BrokerConfig.ClientListener::name, BrokerConfig.ClientListener::protocol)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("INTERNAL", SecurityProtocol.PLAINTEXT),
                        org.assertj.core.groups.Tuple.tuple("EXTERNAL", SecurityProtocol.SASL_PLAINTEXT),
                        org.assertj.core.groups.Tuple.tuple("SECURE", SecurityProtocol.SASL_PLAINTEXT));
        assertThat(config.interBrokerListener().name()).isEqualTo("INTERNAL");
        assertThat(config.advertisedListener()).isEqualTo(new BrokerConfig.Listener("INTERNAL", "127.0.0.1", 9092));
        assertThat(config.clientListeners().get(1).advertised())
                .isEqualTo(new BrokerConfig.Listener("EXTERNAL", "kafka.example.com", 9093));
        assertThat(dev.strata.broker.config.SecurityConfigs.jaasConfig(config, "EXTERNAL", "PLAIN"))
                .get()
                .asString()
                .contains("user_a");
        // unset, the inter-broker listener is the one named like security.inter.broker.protocol
        assertThat(BrokerConfig.of(Map.of(
                                "listeners",
                                "SASL_PLAINTEXT://:1,PLAINTEXT://:2",
                                "sasl.enabled.mechanisms",
                                "PLAIN",
                                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                                "org.apache.kafka.common.security.plain.PlainLoginModule required;"))
                        .interBrokerListener()
                        .name())
                .isEqualTo("PLAINTEXT");
    }

    @Test
    void aListenersOwnSslSettingWinsOverTheBrokerWideOne() {
        BrokerConfig config = BrokerConfig.of(Map.of(
                "ssl.client.auth", "requested",
                "ssl.keystore.password", "broker-wide",
                "listener.name.mtls.ssl.client.auth", "required",
                "listener.name.mtls.ssl.enabled.protocols", "TLSv1.3"));
        Map<String, Object> mtls = dev.strata.broker.config.SecurityConfigs.listenerSecurity(config, "MTLS");
        assertThat(mtls.get("ssl.client.auth")).isEqualTo("required");
        assertThat(mtls.get("ssl.enabled.protocols")).isEqualTo(java.util.List.of("TLSv1.3"));
        assertThat(mtls.get("ssl.keystore.password"))
                .isEqualTo(new org.apache.kafka.common.config.types.Password("broker-wide"));
        Map<String, Object> other = dev.strata.broker.config.SecurityConfigs.listenerSecurity(config, "OTHER");
        assertThat(other.get("ssl.client.auth")).isEqualTo("requested");
        assertThat(other.get("ssl.enabled.protocols")).isEqualTo(java.util.List.of("TLSv1.2", "TLSv1.3"));
    }

    @Test
    void credentialsAreSensitiveWithOrWithoutAListenerPrefix() {
        for (String name : java.util.List.of(
                "ssl.keystore.password",
                "ssl.key.password",
                "ssl.truststore.password",
                "ssl.keystore.key",
                "ssl.keystore.certificate.chain",
                "listener.name.secure.ssl.keystore.password",
                "listener.name.secure.ssl.keystore.certificate.chain",
                "listener.name.secure.plain.sasl.jaas.config")) {
            assertThat(BrokerConfigs.isSensitive(name)).as(name).isTrue();
        }
        assertThat(BrokerConfigs.isSensitive("ssl.keystore.location")).isFalse();
        assertThat(BrokerConfigs.isSensitive("listener.name.secure.ssl.client.auth"))
                .isFalse();
    }
}
