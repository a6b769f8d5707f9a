# The session-pipeline job image: the official Flink 2.2 / Java 17 image with the shaded job jar in usrlib/
# (loaded by the user-code class loader) and the model files the operators load.
# Build context: the repository root, after `mvn -Ppackage -pl jobs -am package -DskipTests` and deploy/local/setup.sh:
#   docker build -f deploy/k8s/job.Dockerfile -t omnistream/job:0.1.0 .
FROM flink:2.2-java17
COPY jobs/target/omnistream-jobs-0.1.0-SNAPSHOT-job.jar /opt/flink/usrlib/omnistream-job.jar
COPY .models/ /opt/omnistream/models/
ENV OMNI_MODELS_DIR=/opt/omnistream/models
