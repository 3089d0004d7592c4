#!/bin/sh
# docker-compose's SeaweedFS: the S3 identity from the environment (never a file in the
# repository), then the same `weed server` flags as src/cluster/seaweedfs.ts, and, as there,
# the bucket's volumes grown once the master answers, so that no upload waits for them
# (growBucketVolumes; a master just started answers no assignment for a few seconds).
set -eu
umask 077
cat > /tmp/s3.json <<JSON
{"identities":[{"name":"progreg","credentials":[{"accessKey":"${S3_ACCESS_KEY_ID}","secretKey":"${S3_SECRET_ACCESS_KEY}"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
weed server -dir=/data -master.volumeSizeLimitMB=64 -volume.max=0 -master.telemetry=false -filer -s3 -s3.port=8333 -s3.config=/tmp/s3.json &
weed=$!
# weed runs as this shell's child: a stop signal is passed on, and the shell exits with weed.
trap 'kill -TERM "$weed" 2>/dev/null' TERM INT
until curl -fsS -o /dev/null "http://127.0.0.1:9333/dir/assign?collection=${S3_BUCKET}" 2>/dev/null; do
  kill -0 "$weed" 2>/dev/null || break
  sleep 1
done
status=0
wait "$weed" || status=$?
# A stop signal ends the first wait once its trap has run: wait again, for weed itself.
if kill -0 "$weed" 2>/dev/null; then wait "$weed" || status=$?; fi
exit "$status"
