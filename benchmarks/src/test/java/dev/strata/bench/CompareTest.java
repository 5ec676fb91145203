package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Where {@code compare} looks for a classpath file that no option names. */
class CompareTest {

    @Test
    void aGivenClasspathFileIsTakenAsItIs() {
        Path given = Path.of("elsewhere", "classpath.txt");

        assertThat(Compare.classpathFile(given, KafkaBroker.S3_PLUGIN_CLASSPATH_FILE))
                .isEqualTo(given);
    }

    @Test
    void aDefaultUnderAnotherModuleIsFoundFromInsideTheBenchmarksModule() {
        // Maven runs the tests in benchmarks/, whose parent is the repository root
        Path fromRoot = Path.of("remote-storage-s3", "pom.xml");

        assertThat(Compare.classpathFile(null, fromRoot))
                .isEqualTo(Path.of("..", "remote-storage-s3", "pom.xml"))
                .isRegularFile();
    }
}
