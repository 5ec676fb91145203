package dev.strata.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.quota.ClientQuotaManager.Type;
import dev.strata.broker.quota.QuotaEntity.Part;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;

class ClientQuotaManagerTest {
    private static final KafkaPrincipal ALICE = new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "alice");
    private static final KafkaPrincipal BOB = new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "bob");

    /** 11 windows of 1 s, Kafka's defaults: a rate is measured over 10 s at least. */
    private final ClientQuotaManager quotas = new ClientQuotaManager(11, 1);

    @Test
    void theMostSpecificEntityWithTheQuotaSetApplies() {
        set(new QuotaEntity(null, Part.DEFAULT), "producer_byte_rate", 8);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(8);
        set(new QuotaEntity(null, Part.named("app")), "producer_byte_rate", 7);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(7);
        set(new QuotaEntity(Part.DEFAULT, null), "producer_byte_rate", 6);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(6);
        set(new QuotaEntity(Part.DEFAULT, Part.DEFAULT), "producer_byte_rate", 5);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(5);
        set(new QuotaEntity(Part.DEFAULT, Part.named("app")), "producer_byte_rate", 4);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(4);
        set(new QuotaEntity(Part.named("alice"), null), "producer_byte_rate", 3);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(3);
        set(new QuotaEntity(Part.named("alice"), Part.DEFAULT), "producer_byte_rate", 2);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(2);
        set(new QuotaEntity(Part.named("alice"), Part.named("app")), "producer_byte_rate", 1);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(1);

        assertThat(quotas.quota(Type.PRODUCE, "bob", "other").getAsDouble()).isEqualTo(5);
        assertThat(quotas.quota(Type.FETCH, "alice", "app")).isEmpty();
    }

    @Test
    void eachQuotaTypeIsResolvedOnItsOwn() {
        set(new QuotaEntity(Part.named("alice"), null), "producer_byte_rate", 100);
        set(new QuotaEntity(null, Part.named("app")), "consumer_byte_rate", 200);
        assertThat(quotas.quota(Type.PRODUCE, "alice", "app").getAsDouble()).isEqualTo(100);
        assertThat(quotas.quota(Type.FETCH, "alice", "app").getAsDouble()).isEqualTo(200);
    }

    @Test
    void aClientOverItsQuotaIsThrottledUntilItsRateIsBackAtTheQuota() {
        set(new QuotaEntity(null, Part.named("app")), "producer_byte_rate", 1000);
        long now = 1_000_000;
        // within the quota: 10 s of 1000 bytes a second
        for (int i = 0; i < 10; i++) {
            assertThat(quotas.recordAndThrottle(Type.PRODUCE, ALICE, "app", 1000, now + i * 1000L))
                    .isZero();
        }
        // 20,000 bytes over the quota at once: the rate over the measured span is 3000/s, 2000 over 1000, so the
        // client waits twice the span
        long at = now + 10_000;
        int throttle = quotas.recordAndThrottle(Type.PRODUCE, ALICE, "app", 20_000, at);
        assertThat(throttle).isBetween(19_000, 21_000);
    }

    @Test
    void aQuotaOfAClientIdIsSharedByEveryUserOfItAndOneOfTheDefaultUserIsMeasuredPerUser() {
        set(new QuotaEntity(null, Part.named("shared")), "producer_byte_rate", 1000);
        set(new QuotaEntity(Part.DEFAULT, null), "consumer_byte_rate", 1000);
        long now = 5_000_000;
        assertThat(quotas.recordAndThrottle(Type.PRODUCE, ALICE, "shared", 9_000, now))
                .isZero();
        assertThat(quotas.recordAndThrottle(Type.PRODUCE, BOB, "shared", 9_000, now))
                .isPositive();

        assertThat(quotas.recordAndThrottle(Type.FETCH, ALICE, "a", 9_000, now)).isZero();
        assertThat(quotas.recordAndThrottle(Type.FETCH, BOB, "b", 9_000, now)).isZero();
    }

    @Test
    void aRequestQuotaThrottlesOneWindowAtMost() {
        set(new QuotaEntity(Part.named("alice"), null), "request_percentage", 10);
        // 500 percent-seconds at once (5 threads for 1 s), 50 percent over the 10 s measured, against 10 percent
        assertThat(quotas.recordAndThrottle(Type.REQUEST, ALICE, "app", 500, 1_000_000))
                .isEqualTo(1000);
        assertThat(quotas.recordAndThrottle(Type.REQUEST, BOB, "app", 500, 1_000_000))
                .isZero();
    }

    @Test
    void unrecordedBytesDoNotCount() {
        set(new QuotaEntity(null, Part.named("consumer")), "consumer_byte_rate", 1000);
        long now = 9_000_000;
        int throttle = quotas.recordAndThrottle(Type.FETCH, ALICE, "consumer", 50_000, now);
        assertThat(throttle).isPositive();
        quotas.unrecord(Type.FETCH, ALICE, "consumer", 50_000, now);
        assertThat(quotas.recordAndThrottle(Type.FETCH, ALICE, "consumer", 1000, now))
                .isZero();
    }

    @Test
    void aClientWithoutAQuotaIsNeverThrottledAndRemovingAQuotaLiftsIt() {
        assertThat(quotas.recordAndThrottle(Type.PRODUCE, ALICE, "app", 1e12, 0))
                .isZero();
        QuotaEntity app = new QuotaEntity(null, Part.named("app"));
        set(app, "producer_byte_rate", 1);
        assertThat(quotas.recordAndThrottle(Type.PRODUCE, ALICE, "app", 1e6, 0)).isPositive();
        quotas.update(app, Map.of());
        assertThat(quotas.quotas()).isEmpty();
        assertThat(quotas.recordAndThrottle(Type.PRODUCE, ALICE, "app", 1e6, 0)).isZero();
    }

    @Test
    void entitiesRoundTripThroughTheirConfigNamesWithSanitizedNames() {
        for (QuotaEntity entity : new QuotaEntity[] {
            new QuotaEntity(Part.named("alice"), null),
            new QuotaEntity(null, Part.DEFAULT),
            new QuotaEntity(Part.DEFAULT, Part.named("a/b c")),
            new QuotaEntity(Part.named("<default>"), Part.named("x")),
            new QuotaEntity(Part.named("User:CN=x,O=y"), Part.DEFAULT)
        }) {
            assertThat(QuotaEntity.fromConfigEntity(entity.configEntity())).contains(entity);
        }
        assertThat(new QuotaEntity(Part.named("a/b"), null).configEntity()).isEqualTo("quota/users/a%2Fb");
        assertThat(new QuotaEntity(Part.named("<default>"), null).configEntity())
                .isNotEqualTo(new QuotaEntity(Part.DEFAULT, null).configEntity());
        assertThat(QuotaEntity.fromConfigEntity("")).isEqualTo(Optional.empty());
        assertThat(QuotaEntity.fromConfigEntity("3")).isEmpty();
        assertThat(QuotaEntity.fromConfigEntity("quota/ips/1.2.3.4")).isEmpty();
    }

    @Test
    void onlyUserAndClientIdEntitiesExist() {
        assertThat(QuotaEntity.of(Map.of("user", "alice")).entries()).isEqualTo(Map.of("user", "alice"));
        assertThatThrownBy(() -> QuotaEntity.of(Map.of("ip", "1.2.3.4")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ip");
        assertThatThrownBy(() -> QuotaEntity.of(Map.of())).isInstanceOf(IllegalArgumentException.class);
    }

    private void set(QuotaEntity entity, String key, double value) {
        Map<String, String> configs = new java.util.HashMap<>();
        quotas.quotas().getOrDefault(entity, Map.of()).forEach((k, v) -> configs.put(k, Double.toString(v)));
        configs.put(key, Double.toString(value));
        quotas.update(entity, configs);
    }
}
