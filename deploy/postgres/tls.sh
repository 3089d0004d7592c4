#!/bin/sh
# PostgreSQL with TLS from the mounted deploy/certs (docker-compose.yml): PostgreSQL refuses a key
# file that others may read or that another user owns, so the key is copied for the postgres user.
set -eu
install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/tls
install -o postgres -g postgres -m 0644 /certs/server.pem /var/lib/postgresql/tls/server.pem
install -o postgres -g postgres -m 0600 /certs/server-key.pem /var/lib/postgresql/tls/server-key.pem
exec docker-entrypoint.sh postgres -c ssl=on \
  -c ssl_cert_file=/var/lib/postgresql/tls/server.pem -c ssl_key_file=/var/lib/postgresql/tls/server-key.pem
