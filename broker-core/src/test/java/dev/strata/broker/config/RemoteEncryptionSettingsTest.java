package dev.strata.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The {@code remote.log.encryption.*} settings as the broker reads them: checked at startup, the password hidden. */
class RemoteEncryptionSettingsTest {

    @Test
    void encryptionWithoutKeysOrActiveKeyStopsATieringBrokerAtStartup() {
        assertThatThrownBy(() -> BrokerConfig.of(Map.of(
                        "remote.log.storage.system.enable", "true",
                        "remote.log.encryption.enable", "true",
                        "remote.log.encryption.active.key.id", "k1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("remote.log.encryption.key.file");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of(
                        "remote.log.storage.system.enable", "true",
                        "remote.log.encryption.enable", "true",
                        "remote.log.encryption.key.file", "/etc/strata/keys.properties")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("remote.log.encryption.active.key.id");
        assertThatThrownBy(() -> BrokerConfig.of(Map.of("remote.log.encryption.keystore.type", "JKS")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("remote.log.encryption.keystore.type");
    }

    @Test
    void theKeystorePasswordIsSensitiveAndHiddenInTheParsedSettings() {
        BrokerConfig config = BrokerConfig.of(Map.of(
                "remote.log.encryption.keystore.location", "/etc/strata/keys.p12",
                "remote.log.encryption.keystore.password", "s3cr3t-pass"));

        assertThat(BrokerConfigs.isSensitive("remote.log.encryption.keystore.password"))
                .isTrue();
        assertThat(BrokerConfigs.isSensitive("remote.log.encryption.key.file")).isFalse();
        assertThat(config.remoteEncryptionConfig().keysConfigured()).isTrue();
        assertThat(config.remoteEncryptionConfig().toString()).doesNotContain("s3cr3t-pass");
    }
}
