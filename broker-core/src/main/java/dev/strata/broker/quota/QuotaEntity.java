package dev.strata.broker.quota;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.utils.Sanitizer;

/**
 * Who a client quota applies to, as Kafka names it: a user, a client id, or a user's client id, where each part is
 * either a name or the default ({@code <default>} in {@code kafka-configs.sh}). A part that is null is not part of the
 * entity: {@code new QuotaEntity(Part.named("alice"), null)} is {@code --entity-type users --entity-name alice}.
 *
 * <p>Stored in the metadata quorum as the dynamic configs of the entity {@link #configEntity()}: {@code quota/users/
 * <user>}, {@code quota/clients/<client id>} or {@code quota/users/<user>/clients/<client id>}, each name sanitized as
 * in Kafka's config paths (URL-encoded, so a name cannot contain a {@code /} or pass for {@code <default>}).
 *
 * @param user the user part, or null
 * @param clientId the client id part, or null
 */
public record QuotaEntity(Part user, Part clientId) {
    /** The prefix of a client quota's config entity in the metadata quorum. */
    public static final String CONFIG_ENTITY_PREFIX = "quota/";

    private static final String DEFAULT = "<default>";
    private static final String USERS = "users";
    private static final String CLIENTS = "clients";

    public QuotaEntity {
        if (user == null && clientId == null) {
            throw new IllegalArgumentException("A quota entity names a user, a client id or both");
        }
    }

    /** One part of an entity: a name, or the default for every name without a quota of its own. */
    public record Part(String name) {
        public static final Part DEFAULT = new Part(null);

        public static Part named(String name) {
            return new Part(name);
        }

        public boolean isDefault() {
            return name == null;
        }

        private String sanitized() {
            return name == null ? QuotaEntity.DEFAULT : Sanitizer.sanitize(name);
        }

        private static Part desanitized(String value) {
            return value.equals(QuotaEntity.DEFAULT) ? DEFAULT : named(Sanitizer.desanitize(value));
        }

        @Override
        public String toString() {
            return name == null ? QuotaEntity.DEFAULT : name;
        }
    }

    /**
     * The entity a {@link ClientQuotaEntity} of Kafka's Admin API names.
     *
     * @throws IllegalArgumentException for an entity type other than user and client-id, or none
     */
    public static QuotaEntity of(Map<String, String> entries) {
        Part user = null;
        Part clientId = null;
        for (Map.Entry<String, String> e : entries.entrySet()) {
            Part part = e.getValue() == null ? Part.DEFAULT : Part.named(e.getValue());
            switch (e.getKey()) {
                case ClientQuotaEntity.USER -> user = part;
                case ClientQuotaEntity.CLIENT_ID -> clientId = part;
                default -> throw new IllegalArgumentException("Unknown quota entity type '" + e.getKey()
                        + "': Strata keeps quotas of " + ClientQuotaEntity.USER + " and "
                        + ClientQuotaEntity.CLIENT_ID);
            }
        }
        return new QuotaEntity(user, clientId);
    }

    /** The entity as Kafka's Admin API and DescribeClientQuotas name it: entity type to name, null for the default. */
    public Map<String, String> entries() {
        Map<String, String> entries = new LinkedHashMap<>();
        if (user != null) {
            entries.put(ClientQuotaEntity.USER, user.name());
        }
        if (clientId != null) {
            entries.put(ClientQuotaEntity.CLIENT_ID, clientId.name());
        }
        return entries;
    }

    /** The name of this entity's configs in the metadata quorum. */
    public String configEntity() {
        StringBuilder s = new StringBuilder(CONFIG_ENTITY_PREFIX);
        if (user != null) {
            s.append(USERS).append('/').append(user.sanitized());
        }
        if (clientId != null) {
            if (user != null) {
                s.append('/');
            }
            s.append(CLIENTS).append('/').append(clientId.sanitized());
        }
        return s.toString();
    }

    /** The entity whose configs are stored as {@code configEntity}, if that names a client quota entity. */
    public static Optional<QuotaEntity> fromConfigEntity(String configEntity) {
        if (!configEntity.startsWith(CONFIG_ENTITY_PREFIX)) {
            return Optional.empty();
        }
        String[] parts = configEntity.substring(CONFIG_ENTITY_PREFIX.length()).split("/", -1);
        if (parts.length == 2 && parts[0].equals(USERS)) {
            return Optional.of(new QuotaEntity(Part.desanitized(parts[1]), null));
        }
        if (parts.length == 2 && parts[0].equals(CLIENTS)) {
            return Optional.of(new QuotaEntity(null, Part.desanitized(parts[1])));
        }
        if (parts.length == 4 && parts[0].equals(USERS) && parts[2].equals(CLIENTS)) {
            return Optional.of(new QuotaEntity(Part.desanitized(parts[1]), Part.desanitized(parts[3])));
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return (user == null ? "" : "user " + user)
                + (user != null && clientId != null ? ", " : "")
                + (clientId == null ? "" : "client-id " + clientId);
    }
}
