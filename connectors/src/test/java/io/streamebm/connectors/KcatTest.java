package io.streamebm.connectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.connectors.codec.SampleDecoder;
import io.streamebm.connectors.dlq.DeadLetterCounts;
import io.streamebm.connectors.dlq.DeadLetterPublisher;
import org.junit.jupiter.api.Test;

/** kcat, an independent (librdkafka) client, produces JSON lines; the bridge reads them correctly. */
class KcatTest {

    private static String kcat() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, "kcat");
            if (f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        fail("kcat is not installed, so the independent-producer test cannot run. Run bin/test, which installs it "
                + "(or: apt-get install -y kcat).");
        return null;
    }

    @Test
    void readsJsonLinesProducedByKcat() throws Exception {
        String kcat = kcat();
        LocalKafkaBroker broker = SharedBroker.get();
        String topic = "kcat";
        broker.createTopic(topic, 1);
        Random rnd = new Random(5);
        List<float[]> expected = new ArrayList<>();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            float a = (float) rnd.nextGaussian();
            float b = (float) (rnd.nextGaussian() * 1e-3);
            expected.add(new float[] {a, b});
            // Mixed styles as hand-written producers emit them: spaces, exponents.
            lines.append(i % 2 == 0 ? "[" + a + "," + b + "]" : String.format(Locale.ROOT, "[ %s , %e ]", a, (double) b)).append('\n');
        }
        Process p = new ProcessBuilder(kcat, "-b", broker.bootstrapServers(), "-t", topic, "-P", "-H", "content-type=application/json")
                .redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(lines.toString().getBytes(StandardCharsets.US_ASCII));
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("kcat did not finish");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "kcat failed: " + out);

        List<DecodedSample> got = new ArrayList<>();
        try (KafkaSender sender = KafkaSender.create(SenderOptions.builder().bootstrapServers(broker.bootstrapServers()).build())) {
            DecodingStage stage = new DecodingStage(SampleDecoder.builder().expectedDimension(2).build(),
                    new DeadLetterPublisher(sender, new DeadLetterCounts()));
            KafkaReceiver receiver = KafkaReceiver.create(KafkaTestSupport.options(broker.bootstrapServers(), "kcat-g", topic).build());
            receiver.receive()
                    .concatMap(stage::decode)
                    .doOnNext(b -> {
                        assertEquals(0, b.deadLettered(), "kcat records dead-lettered");
                        got.addAll(b.samples());
                        b.acknowledge();
                    })
                    .takeUntil(b -> got.size() >= expected.size())
                    .blockLast(Duration.ofSeconds(60));
            receiver.closed().block(Duration.ofSeconds(30));
        }
        got.sort(Comparator.comparingLong(DecodedSample::offset));
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < expected.size(); i++) {
            float[] e = expected.get(i);
            float[] g = got.get(i).values();
            if (i % 2 == 0) {
                assertArrayEquals(e, g, "line " + i);
            } else {
                assertEquals(e[0], g[0], 0f, "line " + i);
                assertEquals(e[1], g[1], Math.abs(e[1]) * 1e-5f, "line " + i);
            }
        }
    }
}
