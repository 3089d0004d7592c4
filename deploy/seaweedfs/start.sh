#!/bin/sh
# docker-compose's SeaweedFS: the S3 identity from the environment (never a file in the
# repository), then the same `weed server` flags as src/cluster/seaweedfs.ts.
set -eu
umask 077
cat > /tmp/s3.json <<JSON
{"identities":[{"name":"progreg","credentials":[{"accessKey":"${S3_ACCESS_KEY_ID}","secretKey":"${S3_SECRET_ACCESS_KEY}"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
exec weed server -dir=/data -master.volumeSizeLimitMB=64 -volume.max=0 -filer -s3 -s3.port=8333 -s3.config=/tmp/s3.json
