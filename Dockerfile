# One image for both apps. The container's first argument chooses which one runs:
#   docker run IMAGE relay        (the edge/ingest relay: HTTP 8080, gRPC data plane 9100)
#   docker run IMAGE controller   (the operator: HTTP 8090, gRPC control plane 9200)
# Health, metrics and admin are on the management ports: relay 9000, controller 9001.
# Further arguments go to the app; JAVA_OPTS goes to the JVM.
#
# Build from the repository root (plain Dockerfile syntax, so the legacy builder and Testcontainers
# can build it too):
#   docker build -t ghcr.io/stripecast/stripecast:0.1.0 .
# The Helm chart's image.repository default and appVersion name this image; a test in the helm module
# (DockerfileTest) keeps the LABELs below, the COPY sources and the entrypoint in step with the chart.
# Without Docker, the image module builds the same image with Jib (image/target/stripecast-image.tar, an OCI archive);
# its ImageTarballIT checks that archive's entrypoint, command, user, ports, labels and environment against this file.

# ---- build: the Maven wrapper builds the two Quarkus apps (fast-jar) and what they depend on.
FROM eclipse-temurin:17-jdk AS build
# edge-relay's build runs `npm ci` for the player page's libraries (exec-maven-plugin); the wrapper
# downloads Maven with curl and unpacks it with unzip.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm curl unzip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole reactor: Maven reads every module's pom even when it builds only some (see .dockerignore).
COPY . .
RUN ./mvnw -B -DskipTests package -pl edge-relay,controller -am

# ---- runtime: a slim JRE, the two fast-jar directories, a non-root user.
FROM eclipse-temurin:17-jre
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="stripecast" \
      org.opencontainers.image.description="stripecast relay and controller: live HLS over striped, interior-disjoint relay trees" \
      org.opencontainers.image.source="https://github.com/stripecast/stripecast" \
      org.opencontainers.image.version="${VERSION}" \
      io.stripecast.image.repository="ghcr.io/stripecast/stripecast"
# A numeric UID/GID, so that Kubernetes' runAsNonRoot can verify it (the chart runs as 10001:10001).
RUN groupadd --system --gid 10001 stripecast \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin stripecast
# The apps stay root-owned and read-only to the user that runs them.
COPY --from=build /src/edge-relay/target/quarkus-app/ /opt/stripecast/relay/
COPY --from=build /src/controller/target/quarkus-app/ /opt/stripecast/controller/
# The entrypoint: "relay" or "controller", anything else is a usage error (exit 64).
# $0 is the name "stripecast"; the container's arguments follow as $1, $2, ...
ENTRYPOINT ["/bin/sh", "-c", "app=\"$1\"; case \"$app\" in relay|controller) shift; exec java $JAVA_OPTS -jar \"${STRIPECAST_HOME:-/opt/stripecast}/$app/quarkus-run.jar\" \"$@\" ;; *) echo \"usage: stripecast relay|controller [app arguments]\" >&2; exit 64 ;; esac", "stripecast"]
CMD ["relay"]
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75.0 -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:AsyncDeflationInterval=5000" \
    STRIPECAST_HOME=/opt/stripecast
WORKDIR /tmp
# relay: HTTP, gRPC data plane; controller: HTTP, gRPC control plane.
EXPOSE 8080 9100 8090 9200 9000 9001
USER 10001:10001
