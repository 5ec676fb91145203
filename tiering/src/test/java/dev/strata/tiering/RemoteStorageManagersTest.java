package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteStorageManagersTest {

    @TempDir
    Path temp;

    @Test
    void loadsTheFileSystemBackendByItsPublicNameAndConfiguresIt() throws Exception {
        Map<String, Object> broker = Map.of(
                "remote.log.storage.manager.class.name", "dev.strata.tiering.FileSystemRemoteStorageManager",
                "rsm.config.dir", temp.toString(),
                "log.dirs", "/unrelated");

        try (RemoteStorageManager rsm = RemoteStorageManagers.load(
                "dev.strata.tiering.FileSystemRemoteStorageManager", RemoteStorageManagers.rsmConfigs(broker))) {
            assertThat(rsm).isInstanceOf(FileSystemRemoteStorageManager.class);
            assertThat(((FileSystemRemoteStorageManager) rsm).root()).isEqualTo(temp.toAbsolutePath());
        }
    }

    @Test
    void theFileSystemBackendKeepsItsOwnManifests() {
        FileSystemRemoteStorageManager fileSystem = new FileSystemRemoteStorageManager();
        fileSystem.configure(Map.of("dir", temp.toString()));

        assertThat(RemoteStorageManagers.manifestStorage(fileSystem)).containsSame(fileSystem);
    }

    @Test
    void aThirdPartyBackendKeepsNoManifests() {
        assertThat(RemoteStorageManagers.manifestStorage(new RecordingStorageManager()))
                .isEmpty();
    }

    @Test
    void rsmConfigsKeepsOnlyPrefixedKeysWithoutThePrefix() {
        Map<String, Object> configs = RemoteStorageManagers.rsmConfigs(Map.of(
                "rsm.config.dir", "/x", "rsm.config.storage.s3.region", "eu", "rsm.config.", "", "listeners", "y"));

        assertThat(configs).containsOnly(Map.entry("dir", "/x"), Map.entry("storage.s3.region", "eu"));
    }

    @Test
    void loadsAThirdPartyBackendAndPassesItsConfig() throws Exception {
        try (RemoteStorageManager rsm =
                RemoteStorageManagers.load(" " + RecordingStorageManager.class.getName() + " ", Map.of("k", "v"))) {
            assertThat(rsm).isInstanceOf(RecordingStorageManager.class);
            assertThat(((RecordingStorageManager) rsm).configs).containsExactly(Map.entry("k", "v"));
        }
    }

    @Test
    void missingClassIsAConfigExceptionNamingIt() {
        assertThatThrownBy(() -> RemoteStorageManagers.load("com.example.NoSuchStorage", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("com.example.NoSuchStorage")
                .hasMessageContaining("remote.log.storage.manager.class.name")
                .hasMessageContaining("not on the classpath");
        assertThatThrownBy(() -> RemoteStorageManagers.load(" ", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is not set");
    }

    @Test
    void classThatIsNotABackendIsAConfigException() {
        assertThatThrownBy(() -> RemoteStorageManagers.load("java.lang.String", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(
                        "does not implement org.apache.kafka.server.log.remote.storage.RemoteStorageManager");
    }

    @Test
    void backendWithoutNoArgConstructorIsAConfigException() {
        assertThatThrownBy(() -> RemoteStorageManagers.load(NoDefaultConstructor.class.getName(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("public no-argument constructor");
    }

    @Test
    void backendRejectingItsConfigurationFailsTheLoad() {
        assertThatThrownBy(() -> RemoteStorageManagers.load(FileSystemRemoteStorageManager.class.getName(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("rsm.config.dir");
    }

    /** A stand-in for a third party's backend. */
    public static class RecordingStorageManager implements RemoteStorageManager {
        private Map<String, Object> configs;

        @Override
        public void configure(Map<String, ?> configs) {
            this.configs = Map.copyOf(configs);
        }

        @Override
        public Optional<CustomMetadata> copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data) {
            return Optional.empty();
        }

        @Override
        public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition) {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition, int endPosition) {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream fetchIndex(RemoteLogSegmentMetadata segment, IndexType indexType) {
            return InputStream.nullInputStream();
        }

        @Override
        public void deleteLogSegmentData(RemoteLogSegmentMetadata segment) {}

        @Override
        public void close() {}
    }

    /** A backend that cannot be instantiated by name. */
    public static class NoDefaultConstructor extends RecordingStorageManager {
        public NoDefaultConstructor(String unused) {}
    }
}
