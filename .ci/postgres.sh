#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the PostgreSQL store's tests.
#
#   eval "$(bash .ci/postgres.sh start)"   # installs PostgreSQL with apt when absent, starts a cluster, prints
#                                          # export JOBTRACKING_POSTGRES=... (the tests' connection string)
#   bash .ci/postgres.sh stop              # stops the cluster and deletes it
#
# The cluster lives in a temporary folder (data, Unix socket and server log), listens on 127.0.0.1 only, on the
# first free port from 54329, trusts every local and loopback connection, loads pg_stat_statements and keeps fsync
# on (durability is part of what the tests measure). Its superuser is postgres and its database jobtracking, with
# the pg_stat_statements extension created. A state file remembers the folder for `stop`: one cluster per checkout;
# `start` again while it runs prints the same exports. When run as root, the server runs as the postgres system user
# (initdb refuses root), created when missing.
#
# Only the export lines go to standard output; everything else goes to standard error.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state_file="${JOBTRACKING_POSTGRES_STATE:-/tmp/jobtracking-postgres-$(printf '%s' "$root" | cksum | cut -d' ' -f1).state}"
first_port=54329
port_attempts=20

log() { echo "postgres.sh: $*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a server command as the user that owns the cluster: postgres when root, otherwise the current user.
as_server() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# The folder of initdb, pg_ctl and psql: pg_config's, then PATH's, then the newest Debian/Ubuntu one.
find_bindir() {
  local dir
  if command -v pg_config > /dev/null 2>&1; then
    dir=$(pg_config --bindir 2> /dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  fi
  if command -v initdb > /dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

apt_install() {
  local sudo_cmd=""
  if ! is_root; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update >&2
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2
}

# PostgreSQL with pg_stat_statements (part of the server package on Debian 12 and Ubuntu; postgresql-contrib elsewhere).
ensure_installed() {
  if ! bindir=$(find_bindir); then
    log "PostgreSQL is not installed: installing it with apt"
    apt_install postgresql
    bindir=$(find_bindir) || { log "no initdb found after installing postgresql"; exit 1; }
  fi
  if [ ! -e "$("$bindir/pg_config" --pkglibdir 2> /dev/null || echo /nonexistent)/pg_stat_statements.so" ] \
    && [ ! -e "$(dirname "$bindir")/lib/pg_stat_statements.so" ]; then
    log "pg_stat_statements is missing: installing postgresql-contrib with apt"
    apt_install postgresql-contrib
  fi
}

ensure_server_user() {
  if is_root && ! id -u postgres > /dev/null 2>&1; then
    log "creating the postgres system user"
    useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin postgres
  fi
}

# Something accepts connections on 127.0.0.1:port.
port_in_use() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

print_exports() {
  printf "export JOBTRACKING_POSTGRES='Host=127.0.0.1;Port=%s;Username=postgres;Database=jobtracking'\n" "$1"
  # The command a test runs to restart the server mid-run (the restart tests are skipped without it).
  printf "export JOBTRACKING_POSTGRES_RESTART='bash %s/.ci/postgres.sh restart'\n" "$root"
}

# Restarts the cluster of the state file (fast shutdown: every connection is dropped), as a server restart would.
restart_cluster() {
  [ -f "$state_file" ] || { log "no cluster to restart"; exit 1; }
  read_state
  as_server "$state_bindir/pg_ctl" restart -D "$state_dir/data" -m fast -w -t 60 -l "$state_dir/server.log" > /dev/null
  log "cluster on port $state_port restarted"
}

read_state() {
  state_dir=$(sed -n 's/^dir=//p' "$state_file")
  state_port=$(sed -n 's/^port=//p' "$state_file")
  state_bindir=$(sed -n 's/^bindir=//p' "$state_file")
}

# Stops the cluster of the state file (if it runs) and deletes its folder and the state file.
stop_cluster() {
  if [ ! -f "$state_file" ]; then
    log "no cluster to stop"
    return 0
  fi
  read_state
  if [ -n "$state_dir" ] && [ -f "$state_dir/data/postmaster.pid" ]; then
    as_server "$state_bindir/pg_ctl" stop -D "$state_dir/data" -m fast -w -t 60 > /dev/null 2>&1 \
      || log "pg_ctl stop failed (the server may have stopped already)"
  fi
  # Only ever a folder this script made.
  case "$state_dir" in
    */jobtracking-postgres.*) rm -rf "$state_dir" ;;
    *) log "not deleting $state_dir: not a folder made by this script" ;;
  esac
  rm -f "$state_file"
  log "cluster stopped and deleted"
}

start_cluster() {
  if [ -f "$state_file" ]; then
    read_state
    if [ -n "$state_dir" ] && [ -d "$state_dir/data" ] \
      && as_server "$state_bindir/pg_ctl" status -D "$state_dir/data" > /dev/null 2>&1; then
      log "a cluster of this checkout already runs on port $state_port ($state_dir)"
      print_exports "$state_port"
      return 0
    fi
    log "removing a stale cluster ($state_dir)"
    stop_cluster
  fi

  ensure_installed
  ensure_server_user

  local dir port
  started=""
  if is_root; then
    dir=$(mktemp -d /tmp/jobtracking-postgres.XXXXXXXX)
    chown postgres: "$dir"
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/jobtracking-postgres.XXXXXXXX")
  fi
  printf 'dir=%s\nport=\nbindir=%s\n' "$dir" "$bindir" > "$state_file"
  # Whatever fails from here on leaves nothing behind.
  trap 'if [ -z "$started" ]; then stop_cluster; fi' EXIT

  as_server "$bindir/initdb" -D "$dir/data" --username=postgres --auth=trust --encoding=UTF8 --locale=C \
    > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; log "initdb failed"; exit 1; }

  cat >> "$dir/data/postgresql.conf" << EOF

# Throwaway cluster for the JobTracking tests (.ci/postgres.sh).
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_stat_statements'
fsync = on
synchronous_commit = on
max_connections = 200
EOF

  # The first free port from 54329: a port taken between the check and the start (the server cannot bind it)
  # moves on to the next one; any other failure stops here.
  local attempt=0
  port=$first_port
  while :; do
    if ! port_in_use "$port"; then
      rm -f "$dir/server.log"
      if as_server "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $port" > /dev/null 2>&1; then
        break
      fi
      if ! grep -qE 'could not bind|could not create any TCP/IP sockets|already in use' "$dir/server.log"; then
        cat "$dir/server.log" >&2
        log "PostgreSQL did not start"
        exit 1
      fi
    fi
    attempt=$((attempt + 1))
    if [ "$attempt" -ge "$port_attempts" ]; then
      log "no free port from $first_port to $port"
      exit 1
    fi
    port=$((port + 1))
  done
  printf 'dir=%s\nport=%s\nbindir=%s\n' "$dir" "$port" "$bindir" > "$state_file"

  "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 \
    -c 'CREATE DATABASE jobtracking' >&2
  "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d jobtracking -X -q -v ON_ERROR_STOP=1 \
    -c 'CREATE EXTENSION pg_stat_statements' >&2

  started=1
  log "PostgreSQL $("$bindir/postgres" --version | awk '{ print $3 }') runs on 127.0.0.1:$port ($dir); stop it with: bash .ci/postgres.sh stop"
  print_exports "$port"
}

case "${1:-}" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  restart) restart_cluster ;;
  *)
    echo "usage: bash .ci/postgres.sh start|stop|restart" >&2
    echo "  start: starts a throwaway cluster and prints the export lines, for eval \"\$(bash .ci/postgres.sh start)\"" >&2
    echo "  stop:  stops it and deletes it" >&2
    echo "  restart: restarts it (every connection dropped), for the tests of a server restart" >&2
    exit 2
    ;;
esac
