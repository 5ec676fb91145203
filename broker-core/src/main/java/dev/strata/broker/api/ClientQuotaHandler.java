package dev.strata.broker.api;

import dev.strata.broker.config.BrokerConfigStore;
import dev.strata.broker.quota.ClientQuotaManager;
import dev.strata.broker.quota.QuotaEntity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.requests.DescribeClientQuotasRequest;

/**
 * DescribeClientQuotas and AlterClientQuotas: the client quotas {@code kafka-configs.sh --entity-type users|clients}
 * and {@code Admin.alterClientQuotas} set, kept in the metadata quorum as the configs of each entity
 * ({@link QuotaEntity#configEntity()}) so that every broker applies them, and read back from this broker's
 * {@link ClientQuotaManager}. An alteration is checked whole before anything is written: an unknown entity type or
 * quota key, a byte rate that is not a positive whole number or a request percentage or controller mutation rate that
 * is not positive fails that entity with INVALID_REQUEST and leaves it as it was. Runs on the I/O pool.
 */
public final class ClientQuotaHandler {
    private final ClientQuotaManager quotas;
    private final BrokerConfigStore store;

    public ClientQuotaHandler(ClientQuotaManager quotas, BrokerConfigStore store) {
        this.quotas = quotas;
        this.store = store;
    }

    public DescribeClientQuotasResponseData describe(DescribeClientQuotasRequestData request) {
        Map<String, String> exact = new HashMap<>();
        Set<String> specified = new HashSet<>();
        try {
            for (DescribeClientQuotasRequestData.ComponentData c : request.components()) {
                String type = c.entityType();
                if (!type.equals(ClientQuotaEntity.USER) && !type.equals(ClientQuotaEntity.CLIENT_ID)) {
                    throw new InvalidRequestException("Unknown or unsupported quota entity type '" + type
                            + "': Strata keeps quotas of " + ClientQuotaEntity.USER + " and "
                            + ClientQuotaEntity.CLIENT_ID);
                }
                if (exact.containsKey(type) || specified.contains(type)) {
                    throw new InvalidRequestException("Entity type " + type + " appears more than once in the filter");
                }
                switch (c.matchType()) {
                    case DescribeClientQuotasRequest.MATCH_TYPE_EXACT -> {
                        if (c.match() == null) {
                            throw new InvalidRequestException("MATCH_TYPE_EXACT needs a name to match");
                        }
                        exact.put(type, c.match());
                    }
                    case DescribeClientQuotasRequest.MATCH_TYPE_DEFAULT -> exact.put(type, null);
                    case DescribeClientQuotasRequest.MATCH_TYPE_SPECIFIED -> specified.add(type);
                    default -> throw new InvalidRequestException("Unknown match type " + c.matchType());
                }
            }
        } catch (InvalidRequestException e) {
            return new DescribeClientQuotasResponseData()
                    .setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage(e.getMessage())
                    .setEntries(null);
        }
        DescribeClientQuotasResponseData response = new DescribeClientQuotasResponseData();
        for (Map.Entry<QuotaEntity, Map<String, Double>> e : quotas.quotas().entrySet()) {
            Map<String, String> entries = e.getKey().entries();
            if (matches(entries, exact, specified, request.strict())) {
                var entry = new DescribeClientQuotasResponseData.EntryData();
                entries.forEach((type, name) -> entry.entity()
                        .add(new DescribeClientQuotasResponseData.EntityData()
                                .setEntityType(type)
                                .setEntityName(name)));
                new TreeMap<>(e.getValue()).forEach((key, value) -> entry.values()
                        .add(new DescribeClientQuotasResponseData.ValueData()
                                .setKey(key)
                                .setValue(value)));
                response.entries().add(entry);
            }
        }
        return response;
    }

    private static boolean matches(
            Map<String, String> entity, Map<String, String> exact, Set<String> specified, boolean strict) {
        if (strict && entity.size() != exact.size() + specified.size()) {
            return false;
        }
        for (Map.Entry<String, String> e : exact.entrySet()) {
            if (!entity.containsKey(e.getKey()) || !Objects.equals(entity.get(e.getKey()), e.getValue())) {
                return false;
            }
        }
        return entity.keySet().containsAll(specified);
    }

    public AlterClientQuotasResponseData alter(AlterClientQuotasRequestData request) {
        AlterClientQuotasResponseData response = new AlterClientQuotasResponseData();
        for (AlterClientQuotasRequestData.EntryData entry : request.entries()) {
            var result = new AlterClientQuotasResponseData.EntryData();
            for (AlterClientQuotasRequestData.EntityData e : entry.entity()) {
                result.entity()
                        .add(new AlterClientQuotasResponseData.EntityData()
                                .setEntityType(e.entityType())
                                .setEntityName(e.entityName()));
            }
            try {
                QuotaEntity entity = entity(entry.entity());
                Map<String, String> next = altered(entity, entry.ops());
                if (!request.validateOnly()) {
                    store.setBrokerConfigs(entity.configEntity(), next);
                }
                result.setErrorCode(Errors.NONE.code());
            } catch (InvalidRequestException e) {
                result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(e.getMessage());
            } catch (RuntimeException e) {
                Errors error = Errors.forException(e);
                result.setErrorCode(error.code()).setErrorMessage(e.getMessage());
            }
            response.entries().add(result);
        }
        return response;
    }

    private static QuotaEntity entity(List<AlterClientQuotasRequestData.EntityData> parts) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (AlterClientQuotasRequestData.EntityData part : parts) {
            if (entries.containsKey(part.entityType())) {
                throw new InvalidRequestException("Entity type " + part.entityType() + " appears more than once");
            }
            entries.put(part.entityType(), part.entityName());
        }
        try {
            return QuotaEntity.of(entries);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    /** The entity's quotas after {@code ops}, as strings (the form the metadata quorum keeps). */
    private Map<String, String> altered(QuotaEntity entity, List<AlterClientQuotasRequestData.OpData> ops) {
        Map<String, String> next = new TreeMap<>();
        quotas.quotas().getOrDefault(entity, Map.of()).forEach((k, v) -> next.put(k, format(v)));
        Set<String> seen = new HashSet<>();
        List<String> unknown = new ArrayList<>();
        for (AlterClientQuotasRequestData.OpData op : ops) {
            if (!seen.add(op.key())) {
                throw new InvalidRequestException("Quota " + op.key() + " appears more than once for " + entity);
            }
            if (!ClientQuotaManager.CONFIG_KEYS.contains(op.key())) {
                unknown.add(op.key());
                continue;
            }
            if (op.remove()) {
                next.remove(op.key());
                continue;
            }
            double value = op.value();
            if (!Double.isFinite(value) || value <= 0 || (byteRate(op.key()) && value != Math.rint(value))) {
                throw new InvalidRequestException("Quota " + op.key() + " of " + entity + " must be a positive "
                        + unit(op.key()) + ", not " + value);
            }
            next.put(op.key(), format(value));
        }
        if (!unknown.isEmpty()) {
            throw new InvalidRequestException("Unknown or unsupported quota " + unknown + " for " + entity
                    + ": Strata enforces " + ClientQuotaManager.CONFIG_KEYS);
        }
        return next;
    }

    private static boolean byteRate(String key) {
        return key.equals(ClientQuotaManager.Type.PRODUCE.configKey())
                || key.equals(ClientQuotaManager.Type.FETCH.configKey());
    }

    private static String unit(String key) {
        if (byteRate(key)) {
            return "whole number of bytes per second";
        }
        return key.equals(ClientQuotaManager.Type.REQUEST.configKey())
                ? "percentage of one I/O thread"
                : "number of partitions created or deleted per second";
    }

    private static String format(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
