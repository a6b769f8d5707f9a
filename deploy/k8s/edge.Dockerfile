# The WebRTC edge image: Java 17 runtime plus libpulse0, which webrtc-java's native library links against.
# The edge jar: `mvn -Ppackage -pl jobs package -DskipTests` (classifier edge, Main-Class io.omnistream.jobs.cluster.EdgeProcess).
#   docker build -f deploy/k8s/edge.Dockerfile -t omnistream/edge:0.1.0 .
FROM eclipse-temurin:17-jre-jammy
RUN apt-get update && apt-get install -y --no-install-recommends libpulse0 && rm -rf /var/lib/apt/lists/*
COPY jobs/target/omnistream-jobs-0.1.0-SNAPSHOT-edge.jar /opt/omnistream/omnistream-edge.jar
EXPOSE 8443/tcp 40000-40009/udp
ENV OMNI_EDGE_PORT=8443
ENTRYPOINT ["java", "-XX:+UseG1GC", "-jar", "/opt/omnistream/omnistream-edge.jar"]
