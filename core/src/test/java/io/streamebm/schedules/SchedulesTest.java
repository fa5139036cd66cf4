package io.streamebm.schedules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SchedulesTest {

    @Test
    void values() {
        assertEquals(0.3, Schedules.constant(0.3).valueAt(1000), 0);
        Schedule exp = Schedules.exponentialDecay(1.0, 0.5, 0.1);
        assertEquals(1.0, exp.valueAt(0), 0);
        assertEquals(0.25, exp.valueAt(2), 1e-15);
        assertEquals(0.1, exp.valueAt(10), 0);
        Schedule lin = Schedules.linear(1.0, 3.0, 4);
        assertEquals(1.0, lin.valueAt(0), 0);
        assertEquals(2.0, lin.valueAt(2), 1e-15);
        assertEquals(3.0, lin.valueAt(4), 0);
        assertEquals(3.0, lin.valueAt(400), 0);
        Schedule cos = Schedules.cosine(1.0, 0.0, 10);
        assertEquals(1.0, cos.valueAt(0), 1e-15);
        assertEquals(0.5, cos.valueAt(5), 1e-12);
        assertEquals(0.0, cos.valueAt(10), 0);
        assertEquals(0.0, cos.valueAt(11), 0);
        Schedule ms = Schedules.multiStep(1.0, 0.1, 10, 20);
        assertEquals(1.0, ms.valueAt(9), 0);
        assertEquals(0.1, ms.valueAt(10), 1e-15);
        assertEquals(0.01, ms.valueAt(25), 1e-15);
        Schedule warm = Schedules.warmup(Schedules.linear(1.0, 0.0, 10), 4, 0.0);
        assertEquals(0.0, warm.valueAt(0), 0);
        assertEquals(0.5, warm.valueAt(2), 1e-15);
        assertEquals(1.0, warm.valueAt(4), 0);
        assertEquals(0.9, warm.valueAt(5), 1e-12);
        assertEquals(0.0, warm.valueAt(14), 0);
        assertEquals(1.0, Schedules.warmup(Schedules.constant(1.0), 0, 0.5).valueAt(0), 0);
        // Immutable values compare by content.
        assertEquals(Schedules.multiStep(1.0, 0.1, 10, 20), Schedules.multiStep(1.0, 0.1, 10, 20));
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> Schedules.constant(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Schedules.exponentialDecay(1, 1.5, 0));
        assertThrows(IllegalArgumentException.class, () -> Schedules.exponentialDecay(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Schedules.linear(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Schedules.cosine(1, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> Schedules.multiStep(1, 0.1, 20, 10));
        assertThrows(IllegalArgumentException.class, () -> Schedules.multiStep(1, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> Schedules.warmup(null, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> Schedules.warmup(Schedules.constant(1), 3, 2));
        assertThrows(IllegalArgumentException.class, () -> Schedules.constant(1).valueAt(-1));
    }
}
