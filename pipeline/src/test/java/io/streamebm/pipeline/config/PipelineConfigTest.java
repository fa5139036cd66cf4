package io.streamebm.pipeline.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.energy.GaussianEnergy;
import io.streamebm.energy.mlp.Activation;
import io.streamebm.energy.mlp.MlpEnergy;
import io.streamebm.losses.ContrastiveDivergenceLoss;
import io.streamebm.losses.DenoisingScoreMatchingLoss;
import io.streamebm.losses.MaximumLikelihoodLoss;
import io.streamebm.losses.NoiseContrastiveEstimationLoss;
import io.streamebm.losses.PersistentContrastiveDivergenceLoss;
import io.streamebm.losses.ScoreMatchingLoss;
import io.streamebm.losses.SlicedScoreMatchingLoss;
import io.streamebm.optim.AdamW;
import io.streamebm.optim.SGD;
import io.streamebm.pipeline.app.AppAccess;
import io.streamebm.pipeline.train.EbmLearner;
import io.streamebm.pipeline.train.Models;
import io.streamebm.pipeline.train.TrainerOptions;
import io.streamebm.samplers.HamiltonianMonteCarlo;
import io.streamebm.samplers.MetropolisAdjustedLangevin;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Enumerated settings parse once into enums: every spelling acts the same, a wrong value names key, value and choices. */
class PipelineConfigTest {

    /** Small enough that building a learner is instant. */
    private static PipelineConfig config(String... keyValues) {
        Map<String, String> m = new HashMap<>(Map.of("model.hidden", "8", "loss.chains", "16"));
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return PipelineConfig.parse(Map.of(), m);
    }

    private static EbmLearner learner(String... keyValues) {
        return new EbmLearner(config(keyValues));
    }

    @Test
    void upperCaseSamplerAndOptimizerTakeEffect() {
        EbmLearner mala = learner("sampler.type", "MALA", "optimizer.type", "SGD");
        assertInstanceOf(MetropolisAdjustedLangevin.class, mala.sampler());
        assertInstanceOf(SGD.class, mala.optimizer());
        EbmLearner hmc = learner("sampler.type", "Hmc", "optimizer.type", "ADAMW");
        assertInstanceOf(HamiltonianMonteCarlo.class, hmc.sampler());
        assertInstanceOf(AdamW.class, hmc.optimizer());
    }

    @Test
    void everyUpperCaseLossBuildsThatLoss() {
        Map<String, Class<?>> expected = Map.of(
                "CD", ContrastiveDivergenceLoss.class,
                "PCD", PersistentContrastiveDivergenceLoss.class,
                "SM", ScoreMatchingLoss.class,
                "SSM", SlicedScoreMatchingLoss.class,
                "DSM", DenoisingScoreMatchingLoss.class,
                "NCE", NoiseContrastiveEstimationLoss.class);
        expected.forEach((spelling, type) -> assertInstanceOf(type, learner("loss.type", spelling).loss(), spelling));
        // Maximum likelihood needs a known normaliser: the Gaussian model.
        EbmLearner mle = learner("loss.type", "MLE", "model.type", "GAUSSIAN");
        assertInstanceOf(MaximumLikelihoodLoss.class, mle.loss());
        assertInstanceOf(GaussianEnergy.class, mle.model());
    }

    @Test
    void upperCaseModelAndActivationBuildThatModelAndStoreTheLowerCaseShape() {
        EbmLearner l = learner("model.type", "MLP", "model.activation", "TANH", "loss.type", "PCD");
        MlpEnergy mlp = assertInstanceOf(MlpEnergy.class, l.model());
        assertEquals(Activation.TANH, mlp.config().activation());
        // The shape is what checkpoints store and compare: the same lower case as before typed settings.
        assertEquals(Map.of("model.type", "mlp", "model.dim", "2", "model.hidden", "8", "model.activation", "tanh",
                "loss.type", "pcd", "loss.chains", "16"), l.architecture());
        assertEquals(learner("model.type", "mlp", "model.activation", "tanh", "loss.type", "pcd").architecture(), l.architecture());
    }

    @Test
    void shapesWrittenInLowerCaseStillBuild() {
        Map<String, String> stored = Map.of("model.type", "mlp", "model.dim", "3", "model.hidden", "4,4",
                "model.activation", "silu");
        MlpEnergy m = assertInstanceOf(MlpEnergy.class, Models.build(Models.shapeOf(stored), 1));
        assertEquals(3, m.config().inputDim());
        assertArrayEquals(new int[] {4, 4}, m.config().hidden());
        assertEquals(stored, Models.shapeOf(Map.of("model.type", "MLP", "model.dim", "3", "model.hidden", "4, 4",
                "model.activation", "SiLU")));
    }

    @Test
    void upperCaseReactionAndFlagTakeEffect() {
        PipelineConfig c = config("divergence.reaction", "REINIT_CHAINS", "checkpoint.fresh-start", "TRUE");
        assertEquals(TrainerOptions.Reaction.REINIT_CHAINS, c.choice("divergence.reaction", TrainerOptions.Reaction.class));
        assertEquals("reinit-chains", c.string("divergence.reaction"));
        assertTrue(c.bool("checkpoint.fresh-start"));
        assertEquals(TrainerOptions.Reaction.REINIT_CHAINS, AppAccess.trainerOptions(c).reaction());
        assertTrue(AppAccess.trainerOptions(c).freshStart());
        assertEquals(TrainerOptions.Reaction.LOWER_LR,
                config("divergence.reaction", "Lower-LR").choice("divergence.reaction", TrainerOptions.Reaction.class));
    }

    @Test
    void upperCaseRecordFormatTakesEffect() {
        byte[] floats = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array();
        assertEquals(RecordFormat.FLOAT32, config("kafka.format", "FLOAT32").choice("kafka.format", RecordFormat.class));
        assertArrayEquals(new float[] {1.5f, -2f},
                AppAccess.decoder(config("kafka.format", "FLOAT32")).decode(floats, null));
        assertThrows(RuntimeException.class,
                () -> AppAccess.decoder(config("kafka.format", "JSON")).decode(floats, null),
                "JSON forced: binary values are rejected");
    }

    @ParameterizedTest
    @ValueSource(strings = {"model.type", "model.activation", "loss.type", "sampler.type", "optimizer.type",
        "divergence.reaction", "kafka.format"})
    void aWrongChoiceNamesKeyValueAndChoices(String key) {
        ConfigException e = assertThrows(ConfigException.class, () -> config(key, "bogus"));
        PipelineConfig.Key k = PipelineConfig.KEYS.stream().filter(x -> x.name().equals(key)).findFirst().orElseThrow();
        String line = key + " = 'bogus': must be one of " + Choices.names(k.choices());
        assertEquals(List.of(line), e.problems());
    }

    @Test
    void outerMomentumIsAutoOrABetaAndNeedsRounds() {
        assertEquals(List.of("scale-out.outer-momentum = '1.2': must be a number in [0, 1), or auto"),
                assertThrows(ConfigException.class, () -> config("scale-out.outer-momentum", "1.2")).problems());
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.parse(Map.of(),
                Map.of("scale-out.rounds", "false", "scale-out.outer-momentum", "0.5")));
        assertTrue(e.getMessage().contains("scale-out.outer-momentum = '0.5' with scale-out.rounds = false"),
                e.getMessage());
        assertEquals("AUTO", config("scale-out.outer-momentum", "AUTO").string("scale-out.outer-momentum"));
        assertEquals(0.0, PipelineConfig.parse(Map.of(), Map.of("scale-out.rounds", "false",
                "scale-out.outer-momentum", "0")).number("scale-out.outer-momentum"));
    }

    @Test
    void everyEnumeratedKeyIsTyped() {
        List<String> typed = PipelineConfig.KEYS.stream().filter(k -> k.choices() != null).map(PipelineConfig.Key::name)
                .toList();
        assertEquals(List.of("model.type", "model.activation", "loss.type", "loss.reinit-source", "sampler.type",
                "optimizer.type", "kafka.format", "quality.reference", "drift.reaction", "scale-out.merge",
                "divergence.reaction"), typed);
        assertEquals("must be true or false", assertThrows(ConfigException.class,
                () -> config("checkpoint.fresh-start", "yes")).problems().get(0).replaceAll(".*: ", ""));
    }

    @Test
    void askingForTheWrongEnumIsAProgrammingError() {
        PipelineConfig c = config();
        assertThrows(IllegalArgumentException.class, () -> c.choice("loss.type", SamplerType.class));
        assertThrows(IllegalArgumentException.class, () -> c.choice("loss.k", LossType.class));
        assertThrows(IllegalArgumentException.class, () -> c.bool("loss.type"));
    }

    @Test
    void withReturnsAValidatedCopyAndLeavesTheOriginal() {
        PipelineConfig c = config("sampler.type", "langevin");
        PipelineConfig d = c.with(Map.of("sampler.type", "MALA"));
        assertEquals(SamplerType.LANGEVIN, c.choice("sampler.type", SamplerType.class));
        assertEquals(SamplerType.MALA, d.choice("sampler.type", SamplerType.class));
        assertEquals("mala", d.asMap().get("sampler.type"));
        assertThrows(UnsupportedOperationException.class, () -> d.asMap().put("seed", "1"));
        assertThrows(ConfigException.class, () -> c.with(Map.of("optimizer.type", "rmsprop")));
        assertFalse(c.asMap().containsKey("kafka.consumer.x"));
    }

    @Test
    void scaleOutRefusesAPreDriftSnapshotOfOneMemberNamingBothKeys() {
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.parse(Map.of(),
                Map.of("scale-out.enabled", "true", "drift.reaction", "snapshot-pre-drift")));
        assertTrue(e.getMessage().contains("drift.reaction = 'snapshot-pre-drift' with scale-out.enabled = true"),
                e.getMessage());
        PipelineConfig.parse(Map.of(), Map.of("scale-out.enabled", "true", "drift.reaction", "raise-lr"));
        PipelineConfig.parse(Map.of(), Map.of("drift.reaction", "snapshot-pre-drift"));
    }

    @Test
    void aModelTooLargeToAllocateIsAConfigurationError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> PipelineConfig.parse(Map.of(), Map.of("model.hidden", "1000000,1000000")));
        assertTrue(e.getMessage().contains("model.hidden = '1000000,1000000' with model.dim = 2: the MLP would have"),
                e.getMessage());
        assertTrue(e.getMessage().contains("more than the 50,000,000"), e.getMessage());
        PipelineConfig.parse(Map.of(), Map.of("model.hidden", "2048,2048,2048"));
    }

    @Test
    void toStringHidesClientSecrets() {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"s3cr3t-jaas\";";
        PipelineConfig c = PipelineConfig.parse(Map.of(), Map.of(
                "kafka.consumer.sasl.jaas.config", jaas,
                "kafka.producer.ssl.truststore.password", "s3cr3t-store",
                "kafka.consumer.ssl.key.password", "s3cr3t-key",
                "kafka.topic", "visible-topic"));
        String shown = c.toString();
        assertFalse(shown.contains("s3cr3t"), shown);
        assertTrue(shown.contains("kafka.consumer.sasl.jaas.config=[hidden]"), shown);
        assertTrue(shown.contains("visible-topic"), shown);
        assertEquals(jaas, c.clientProperties(PipelineConfig.CONSUMER_PREFIX).get("sasl.jaas.config"), "the value itself is kept");
    }
}
