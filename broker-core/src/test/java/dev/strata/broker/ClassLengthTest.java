package dev.strata.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * STYLE.md's size rule, kept for every module of the repo, not only broker-core: one concept per class, mostly 200-600
 * lines, and a class past 600 lines is split by job unless its top says why it must not be. This test reads every
 * {@code .java} file under a {@code src/main/java} directory of the repo (found by walking up from this module to the
 * topmost directory with a {@code pom.xml}; {@code target} directories are skipped) and fails naming each one over
 * {@value #MAX_LINES} lines (counted as {@code wc -l} does) whose top-level type's Javadoc has no reason.
 *
 * <p>The marker: a Javadoc paragraph that starts {@code <p>Why it is}, followed by the size and a colon, then the
 * reason, for example {@code <p>Why it is ~740 lines: it is one concept, the remote index's on-disk format. ...}. Only
 * the Javadoc right above the file's top-level type counts. Keep the stated size honest when the class grows.
 */
class ClassLengthTest {
    static final int MAX_LINES = 600;

    /** A Javadoc line whose paragraph starts "Why it is", with a colon and a reason after it. */
    private static final Pattern WHY = Pattern.compile("(?m)^\\s*\\*\\s*<p>Why it is\\b[^:]*:\\s*\\S");

    /** The declaration of the top-level type: at the start of a line, after any modifiers. */
    private static final Pattern TOP_LEVEL_TYPE = Pattern.compile(
            "(?m)^(?:(?:public|protected|private|abstract|final|sealed|non-sealed|static|strictfp)\\s+)*"
                    + "(?:class|interface|enum|record|@interface)\\s");

    @Test
    void everyMainClassOverTheLimitSaysWhyAtItsTop() {
        List<String> unexplained = new ArrayList<>();
        mainSources().forEach((path, source) -> {
            if (lines(source) > MAX_LINES && !explainsItsSize(source)) {
                unexplained.add(path + " (" + lines(source) + " lines)");
            }
        });
        assertThat(unexplained)
                .as(
                        "main classes over %d lines whose class Javadoc has no paragraph starting \"<p>Why it is ~N lines:"
                                + " <reason>\": split them by job (STYLE.md), or say why they must stay whole",
                        MAX_LINES)
                .isEmpty();
    }

    @Test
    void theMarkerIsFoundOnlyInTheTopLevelTypesJavadoc() {
        String explained =
                "/**\n * A store.\n *\n * <p>Why it is ~700 lines: one format.\n */\npublic final class A {}\n";
        String noReason = "/**\n * A store.\n *\n * <p>Why it is ~700 lines:\n */\nfinal class A {}\n";
        String onAMethod = "/** A store. */\npublic class A {\n    /**\n     * <p>Why it is ~700 lines: no.\n     */\n"
                + "    void m() {}\n}\n";
        String annotated =
                "/**\n * <p>Why it is ~700 lines: one job.\n */\n@FunctionalInterface\npublic interface A {}\n";
        assertThat(explainsItsSize(explained)).isTrue();
        assertThat(explainsItsSize(noReason)).isFalse();
        assertThat(explainsItsSize(onAMethod)).isFalse();
        assertThat(explainsItsSize(annotated)).isTrue();
        assertThat(lines("a\nb\n")).isEqualTo(2);
    }

    /** Whether the Javadoc right above the top-level type has the marker paragraph with a reason. */
    static boolean explainsItsSize(String source) {
        Matcher type = TOP_LEVEL_TYPE.matcher(source);
        if (!type.find()) {
            return false;
        }
        String head = source.substring(0, type.start());
        int start = head.lastIndexOf("/**");
        int end = head.lastIndexOf("*/");
        if (start < 0 || end < start) {
            return false;
        }
        return WHY.matcher(head.substring(start, end)).find();
    }

    /** Lines as {@code wc -l} counts them: newline characters. */
    static int lines(String source) {
        return (int) source.chars().filter(c -> c == '\n').count();
    }

    /** Every main source file of the repo, by its path from the repo root. */
    private static TreeMap<String, String> mainSources() {
        Path root = repoRoot();
        TreeMap<String, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(f -> f.toString().endsWith(".java") && Files.isRegularFile(f))
                    .map(root::relativize)
                    .filter(ClassLengthTest::isMainSource)
                    .forEach(f -> sources.put(f.toString().replace('\\', '/'), read(root.resolve(f))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(sources)
                .as("main sources under %s", root)
                .containsKey("broker-core/src/main/java/dev/strata/broker/StrataServer.java");
        return sources;
    }

    private static boolean isMainSource(Path relative) {
        boolean inMain = false;
        for (int i = 0; i < relative.getNameCount(); i++) {
            String name = relative.getName(i).toString();
            if (name.equals("target") || name.startsWith(".")) {
                return false;
            }
            if (i + 2 < relative.getNameCount()
                    && name.equals("src")
                    && relative.getName(i + 1).toString().equals("main")
                    && relative.getName(i + 2).toString().equals("java")) {
                inMain = true;
            }
        }
        return inMain;
    }

    /** The topmost directory above this module (the working directory of the test) that has a {@code pom.xml}. */
    private static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir.getParent() != null && Files.isRegularFile(dir.getParent().resolve("pom.xml"))) {
            dir = dir.getParent();
        }
        return dir;
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
