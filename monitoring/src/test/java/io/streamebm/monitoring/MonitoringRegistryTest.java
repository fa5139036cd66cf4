package io.streamebm.monitoring;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MonitoringRegistryTest {

    private static Meter.Id id(String name, String description) {
        return new Meter.Id(name, Tags.empty(), null, description, Meter.Type.GAUGE);
    }

    @Test
    void jvmAndProcessMetersCarryTheCommonTagsAndTheLintBreakersAreGone() {
        try (MonitoringRegistry r = MonitoringRegistry.create("m", "pcd")) {
            assertNull(r.prometheus().find("process.cpu.time").meter());
            assertNull(r.prometheus().find("system.cpu.count").meter());
            assertTrue(r.prometheus().find("process.cpu.usage").gauge() != null);
            Meter heap = r.prometheus().get("jvm.memory.used").meters().iterator().next();
            assertEquals("m", heap.getId().getTag("model"));
            assertEquals("pcd", heap.getId().getTag("loss"));
            assertTrue(r.prometheus().find("jvm.threads.live").gauge() != null);
            assertTrue(r.prometheus().find("jvm.classes.loaded").gauge() != null);
            assertTrue(r.prometheus().find("process.uptime").timeGauge() != null);
        }
    }

    @Test
    void kafkaMetersThatBreakPromtoolAreDropped() {
        assertTrue(MonitoringRegistry.failsPromtoolLint(id("kafka.consumer.io.time.ns.avg", "x")));
        assertTrue(MonitoringRegistry.failsPromtoolLint(id("kafka.app.info.start.time.ms", "x")));
        assertTrue(MonitoringRegistry.failsPromtoolLint(id("kafka.consumer.connection.count", "x")));
        assertTrue(MonitoringRegistry.failsPromtoolLint(id("kafka.consumer.node.request.latency.avg", "")));
        assertFalse(MonitoringRegistry.failsPromtoolLint(id("kafka.consumer.fetch.manager.records.lag.max", "x")));
        assertFalse(MonitoringRegistry.failsPromtoolLint(id("ebm.whatever.ms", "")), "only Kafka meters are judged");
    }

    @Test
    void optionsDefaultToLoopback9404AndValidate() {
        MonitoringOptions d = MonitoringOptions.defaults();
        assertEquals("127.0.0.1", d.host());
        assertEquals(9404, d.port());
        assertEquals(d, d.toBuilder().build());
        assertEquals(0, MonitoringOptions.builder().port(0).build().port());
        assertThrows(IllegalArgumentException.class, () -> MonitoringOptions.builder().port(70_000).build());
        assertThrows(IllegalArgumentException.class, () -> MonitoringOptions.builder().host(" ").build());
        assertThrows(IllegalArgumentException.class,
                () -> MonitoringOptions.builder().stallTimeout(Duration.ZERO).build());
    }
}
