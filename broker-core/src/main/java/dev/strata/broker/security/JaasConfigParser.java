package dev.strata.broker.security;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the value of a {@code sasl.jaas.config} setting, the body of one JAAS login context as Kafka accepts it:
 *
 * <pre>
 *   entry   = module-class flag { name "=" value } ";"
 *   flag    = required | requisite | sufficient | optional
 *   value   = a word, or a "double-quoted string" with \" and \\ escapes
 * </pre>
 *
 * for example {@code org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";}.
 * Errors name the position, never the text around it: the text holds passwords.
 */
public final class JaasConfigParser {

    /** One login module of the context: its class, control flag and options. */
    public record LoginModule(String className, String flag, Map<String, String> options) {}

    private static final List<String> FLAGS = List.of("required", "requisite", "sufficient", "optional");

    private final String text;
    private int pos;

    private JaasConfigParser(String text) {
        this.text = text;
    }

    /**
     * @throws IllegalArgumentException on a malformed value (without the value in the message)
     */
    public static List<LoginModule> parse(String jaasConfig) {
        JaasConfigParser parser = new JaasConfigParser(jaasConfig);
        List<LoginModule> modules = new ArrayList<>();
        parser.skipSpace();
        while (parser.pos < parser.text.length()) {
            modules.add(parser.module());
            parser.skipSpace();
        }
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("the JAAS configuration names no login module");
        }
        return List.copyOf(modules);
    }

    private LoginModule module() {
        String className = word("a login module class name");
        String flag = word("a control flag (required, requisite, sufficient or optional)");
        if (!FLAGS.contains(flag.toLowerCase(java.util.Locale.ROOT))) {
            throw error("a control flag (required, requisite, sufficient or optional)");
        }
        Map<String, String> options = new LinkedHashMap<>();
        skipSpace();
        while (pos < text.length() && text.charAt(pos) != ';') {
            String name = word("an option name");
            skipSpace();
            if (pos >= text.length() || text.charAt(pos) != '=') {
                throw error("'=' after an option name");
            }
            pos++;
            skipSpace();
            options.put(name, value());
            skipSpace();
        }
        if (pos >= text.length()) {
            throw error("';' at the end of the login module");
        }
        pos++;
        return new LoginModule(className, flag.toLowerCase(java.util.Locale.ROOT), Map.copyOf(options));
    }

    private String value() {
        if (pos < text.length() && text.charAt(pos) == '"') {
            pos++;
            StringBuilder value = new StringBuilder();
            while (pos < text.length() && text.charAt(pos) != '"') {
                char c = text.charAt(pos++);
                if (c == '\\' && pos < text.length()) {
                    c = text.charAt(pos++);
                }
                value.append(c);
            }
            if (pos >= text.length()) {
                throw error("the closing '\"' of a quoted value");
            }
            pos++;
            return value.toString();
        }
        return word("an option value");
    }

    /** A run of characters up to white space, '=', ';' or a quote. */
    private String word(String expected) {
        skipSpace();
        int start = pos;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c) || c == '=' || c == ';' || c == '"') {
                break;
            }
            pos++;
        }
        if (pos == start) {
            throw error(expected);
        }
        return text.substring(start, pos);
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private IllegalArgumentException error(String expected) {
        return new IllegalArgumentException(
                "malformed JAAS configuration: expected " + expected + " at character " + pos);
    }
}
