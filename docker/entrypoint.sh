#!/bin/sh
# The container's entrypoint (and what tests/test_container.py runs without Docker):
# apply database migrations, waiting for the database to accept connections, then replace this shell with
# the bot, so the bot is the process that receives SIGTERM and drains in-flight work before exiting.
# Arguments are a launchbrief subcommand (default: run), e.g. `docker compose run --rm bot ingest`.
set -eu

tries="${LAUNCHBRIEF_MIGRATE_TRIES:-30}"
n=1
until launchbrief db upgrade; do
  if [ "$n" -ge "$tries" ]; then
    echo "entrypoint: database migrations failed after $n attempts" >&2
    exit 1
  fi
  echo "entrypoint: database not ready (attempt $n of $tries); retrying in 2 s" >&2
  n=$((n + 1))
  sleep 2
done

if [ "$#" -eq 0 ]; then
  set -- run
fi
exec launchbrief "$@"
