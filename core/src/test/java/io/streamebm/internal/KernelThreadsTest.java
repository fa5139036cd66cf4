package io.streamebm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class KernelThreadsTest {

    @Test
    void runsEveryTaskAndReturnsWhenAllHaveFinished() {
        AtomicInteger done = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Runnable task = () -> {
            threads.add(Thread.currentThread().getName());
            sleep(20);
            done.incrementAndGet();
        };
        KernelThreads.runAll(List.of(task, task, task));
        assertEquals(3, done.get());
        assertTrue(threads.contains(Thread.currentThread().getName()), "the caller runs the first task");
        assertEquals(Math.min(KernelThreads.threads(), 3), threads.size(), "threads used: " + threads);
    }

    @Test
    void theFirstFailureIsRethrownAfterTheOtherTasksFinished() {
        AtomicInteger finished = new AtomicInteger();
        IllegalStateException boom = new IllegalStateException("block 1 failed");
        RuntimeException e = assertThrows(RuntimeException.class, () -> KernelThreads.runAll(List.of(
                () -> {
                    sleep(30);
                    finished.incrementAndGet();
                },
                () -> {
                    throw boom;
                })));
        assertSame(boom, e);
        assertEquals(1, finished.get());
    }

    @Test
    void aTaskMaySplitItsOwnWorkWithoutDeadlock() {
        AtomicInteger leaves = new AtomicInteger();
        Runnable inner = () -> KernelThreads.runAll(List.of(leaves::incrementAndGet, leaves::incrementAndGet));
        KernelThreads.runAll(List.of(inner, inner));
        assertEquals(4, leaves.get());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
