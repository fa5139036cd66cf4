# syntax=docker/dockerfile:1
# StreamEBM pipeline image: builds the reactor, then runs the trainer CLI on a JRE.
#   docker build -t streamebm/pipeline .
#   docker run --rm streamebm/pipeline train --bootstrap-server HOST:PORT --topic ebm.samples ...

FROM maven:3-eclipse-temurin-17 AS build
WORKDIR /src
# Module directories are copied one by one (not `COPY . .`) so that local target/ output and VCS
# metadata do not end up in the build context's layers. bench/ and examples/ are only needed for
# their poms: the root pom lists them, and -pl pipeline -am does not build them.
COPY pom.xml ./
COPY telemetry ./telemetry
COPY core ./core
COPY examples/pom.xml ./examples/pom.xml
COPY broker ./broker
COPY connectors ./connectors
COPY monitoring ./monitoring
COPY pipeline ./pipeline
COPY bench/pom.xml ./bench/pom.xml
# The cache mount keeps ~/.m2 (ND4J alone is 128 MiB) between builds.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -DskipTests -pl pipeline -am package

FROM eclipse-temurin:17-jre
WORKDIR /app
# One OpenMP/BLAS thread: ND4J's spin-waiting threads make small ops 100x slower (STACK.md).
# A capped heap keeps RSS bounded, since ND4J frees its off-heap arrays only when the GC runs.
# ExitOnOutOfMemoryError: an out-of-memory error ends the container (code 3) instead of hanging it.
ENV OMP_NUM_THREADS=1 \
    JAVA_TOOL_OPTIONS="-Xmx1g -XX:+UseParallelGC -XX:+ExitOnOutOfMemoryError"
RUN groupadd --system streamebm && useradd --system --gid streamebm --home-dir /app streamebm \
    && mkdir -p /app/checkpoints && chown streamebm:streamebm /app/checkpoints
COPY --from=build /src/pipeline/target/lib ./pipeline/target/lib
COPY --from=build /src/pipeline/target/streamebm-pipeline.jar ./pipeline/target/streamebm-pipeline.jar
COPY --from=build /src/pipeline/config ./config
USER streamebm
# /metrics and /health (the trainer must be started with --metrics-host 0.0.0.0 to be reachable).
EXPOSE 9404
ENTRYPOINT ["java", "-cp", "pipeline/target/lib/*:pipeline/target/streamebm-pipeline.jar", "io.streamebm.pipeline.StreamEbmCli"]
CMD ["--help"]
