package dev.strata.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadableSslTest {
    private static final ReloadableSsl.Identity LOCALHOST = new ReloadableSsl.Identity(
            new X500Principal("CN=localhost"), Set.of(List.of(7, "127.0.0.1"), List.of(2, "localhost")));

    @TempDir
    Path dir;

    @Test
    void unchangedFilesAreNotReloaded() throws Exception {
        Path store = Files.write(dir.resolve("k.p12"), new byte[] {1, 2});
        StoreFiles inUse = StoreFiles.read(List.of(store));
        assertThat(StoreFiles.decide(inUse, null, StoreFiles.read(List.of(store))))
                .isEqualTo(StoreFiles.Decision.UNCHANGED);
    }

    @Test
    void aChangeOfContentIsSeenEvenWithTheSameSizeAndTime() throws Exception {
        Path store = Files.write(dir.resolve("k.p12"), new byte[] {1, 2});
        StoreFiles inUse = StoreFiles.read(List.of(store));
        var time = Files.getLastModifiedTime(store);
        Files.write(store, new byte[] {3, 4});
        Files.setLastModifiedTime(store, time);
        assertThat(StoreFiles.decide(inUse, null, StoreFiles.read(List.of(store))))
                .isEqualTo(StoreFiles.Decision.RELOAD);
    }

    @Test
    void aRefusedCopyIsNotTriedAgainUntilItChanges() throws Exception {
        Path store = Files.write(dir.resolve("k.p12"), new byte[] {1, 2});
        StoreFiles inUse = StoreFiles.read(List.of(store));
        Files.write(store, new byte[] {9});
        StoreFiles refused = StoreFiles.read(List.of(store));
        assertThat(StoreFiles.decide(inUse, refused, StoreFiles.read(List.of(store))))
                .isEqualTo(StoreFiles.Decision.ALREADY_REFUSED);
        Files.write(store, new byte[] {9, 9, 9});
        assertThat(StoreFiles.decide(inUse, refused, StoreFiles.read(List.of(store))))
                .isEqualTo(StoreFiles.Decision.RELOAD);
    }

    @Test
    void aMissingFileIsAChangeThatALoadRefuses() throws Exception {
        Path store = Files.write(dir.resolve("k.p12"), new byte[] {1, 2});
        StoreFiles inUse = StoreFiles.read(List.of(store));
        Files.delete(store);
        StoreFiles now = StoreFiles.read(List.of(store));
        assertThat(now.files().get(0).sha256()).isEqualTo("missing");
        assertThat(StoreFiles.decide(inUse, null, now)).isEqualTo(StoreFiles.Decision.RELOAD);
    }

    @Test
    void theSameSubjectAndNamesMayReplaceTheOldCertificate() {
        assertThatCode(() -> ReloadableSsl.ensureCompatible(List.of(LOCALHOST), List.of(LOCALHOST), false, false))
                .doesNotThrowAnyException();
    }

    @Test
    void anotherSubjectIsRefusedUnlessDnChangesAreAllowed() {
        var other = new ReloadableSsl.Identity(new X500Principal("CN=other"), LOCALHOST.alternativeNames());
        assertThatThrownBy(() -> ReloadableSsl.ensureCompatible(List.of(LOCALHOST), List.of(other), false, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("DistinguishedName")
                .hasMessageContaining("ssl.allow.dn.changes");
        assertThatCode(() -> ReloadableSsl.ensureCompatible(List.of(LOCALHOST), List.of(other), true, false))
                .doesNotThrowAnyException();
    }

    @Test
    void otherAlternativeNamesAreRefusedUnlessSanChangesAreAllowed() {
        var fewer = new ReloadableSsl.Identity(LOCALHOST.subject(), Set.of(List.of(2, "localhost")));
        assertThatThrownBy(() -> ReloadableSsl.ensureCompatible(List.of(LOCALHOST), List.of(fewer), false, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("ssl.allow.san.changes");
        assertThatCode(() -> ReloadableSsl.ensureCompatible(List.of(LOCALHOST), List.of(fewer), false, true))
                .doesNotThrowAnyException();
    }
}
