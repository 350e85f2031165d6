#!/usr/bin/env bash
# Make sure the servers the table-source tests read are up, and that PostgreSQL has pgvector.
#
#   PostgreSQL 127.0.0.1:5432 (user postgres, trust auth, database test)
#   MariaDB    127.0.0.1:3306 (user root, empty password, database test)
#
# Idempotent: each step checks first and only acts when the check fails. pgvector is built from
# Debian trixie's source package (bookworm has none) with a private apt configuration, so the
# machine's own apt sources, lists and caches are left as they were. Needs root for starting
# servers and installing; exits non-zero with one clear line when something cannot be done.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
MY_HOST=127.0.0.1
MY_PORT=3306
DB=test
WAIT_S=30

say() { printf 'ensure_services: %s\n' "$*"; }
die() {
    printf 'ensure_services: ERROR: %s\n' "$*" >&2
    exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }

wait_until() { # description, command...
    local what=$1 i
    shift
    for ((i = 0; i < WAIT_S * 2; i++)); do
        if "$@"; then return 0; fi
        sleep 0.5
    done
    die "$what did not answer within ${WAIT_S}s"
}

started=$SECONDS

# --- PostgreSQL ----------------------------------------------------------------------------------
need pg_isready "install Debian's postgresql package"
pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
if pg_up; then
    say "PostgreSQL answers at $PG_HOST:$PG_PORT"
else
    [[ -d /etc/postgresql ]] || die "PostgreSQL is not installed (no /etc/postgresql)"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    say "PostgreSQL is not answering; starting: pg_ctlcluster --skip-systemctl-redirect $version main start"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
        die "pg_ctlcluster could not start PostgreSQL $version (see /var/log/postgresql/)"
    wait_until "PostgreSQL at $PG_HOST:$PG_PORT" pg_up
    say "PostgreSQL $version started"
fi
psql_as() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres "$@"; }
if [[ -z $(psql_as -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
    say "creating PostgreSQL database $DB"
    psql_as -d postgres -c "CREATE DATABASE $DB" >/dev/null
fi

# --- MariaDB -------------------------------------------------------------------------------------
need mysqladmin "install Debian's mariadb-server package"
my_up() { mysqladmin --protocol=tcp -h "$MY_HOST" -P "$MY_PORT" -u root --connect-timeout=2 ping >/dev/null 2>&1; }
if my_up; then
    say "MariaDB answers at $MY_HOST:$MY_PORT"
else
    [[ -x /usr/sbin/mariadbd ]] || die "MariaDB is not installed (no /usr/sbin/mariadbd)"
    say "MariaDB is not answering; starting: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
    install -d -o mysql -g mysql /run/mysqld
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd ||
        die "start-stop-daemon could not start /usr/sbin/mariadbd"
    wait_until "MariaDB at $MY_HOST:$MY_PORT" my_up
    say "MariaDB started"
fi
mysql --protocol=tcp -h "$MY_HOST" -P "$MY_PORT" -u root -e "CREATE DATABASE IF NOT EXISTS \`$DB\`" ||
    die "cannot create the MariaDB database $DB as root"

# --- pgvector ------------------------------------------------------------------------------------
# The cast loads the library: an extension whose files went missing fails here too.
vector_ok() {
    psql_as -d "$DB" -tA -c "CREATE EXTENSION IF NOT EXISTS vector" -c "SELECT '[1,2]'::vector" >/dev/null 2>&1
}
vector_version() { psql_as -d "$DB" -tAc "SELECT extversion FROM pg_extension WHERE extname = 'vector'"; }
if vector_ok; then
    say "pgvector $(vector_version) is installed (CREATE EXTENSION vector works in $DB)"
else
    major=$(($(psql_as -d "$DB" -tAc "SHOW server_version_num") / 10000))
    pg_config=/usr/lib/postgresql/$major/bin/pg_config
    say "CREATE EXTENSION vector fails: building pgvector for PostgreSQL $major from Debian trixie's source"

    step=$SECONDS
    deps=(build-essential dpkg-dev "postgresql-server-dev-$major")
    missing=()
    for pkg in "${deps[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]} (apt-get update, apt-get install)"
        apt-get update -qq || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
            die "apt-get install ${missing[*]} failed"
        say "build dependencies installed in $((SECONDS - step))s"
    fi
    [[ -x $pg_config ]] || die "$pg_config not found after installing postgresql-server-dev-$major"

    work=$(mktemp -d /tmp/memvault-pgvector.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/sources" "$work/lists/partial" "$work/cache/archives/partial"
    cat >"$work/sources/trixie.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # Only trixie's source index, in lists and caches of our own.
    apt_trixie=(
        -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/sources"
        -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
        -o APT::Sandbox::User=root -qq
    )
    step=$SECONDS
    say "reading Debian trixie's source index (apt-get update with a private sources list)"
    apt-get "${apt_trixie[@]}" update ||
        die "cannot read Debian trixie's source index from deb.debian.org"
    say "fetching pgvector's source package (apt-get source pgvector)"
    (cd "$work" && apt-get "${apt_trixie[@]}" source pgvector >/dev/null) ||
        die "apt-get source pgvector from trixie failed"
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name "pgvector-*" | head -n 1)
    [[ -n $src ]] || die "the pgvector source package unpacked to nothing"
    say "fetched $(basename "$src") in $((SECONDS - step))s; building (make, make install)"

    step=$SECONDS
    # OPTFLAGS="" as Debian builds it: no -march=native, so the library runs on any x86-64.
    make -C "$src" -j"$(nproc)" PG_CONFIG="$pg_config" OPTFLAGS="" >"$work/build.log" 2>&1 ||
        die "building pgvector failed: $(tail -n 3 "$work/build.log" | tr '\n' ' ')"
    make -C "$src" install PG_CONFIG="$pg_config" OPTFLAGS="" >>"$work/build.log" 2>&1 ||
        die "installing pgvector failed: $(tail -n 3 "$work/build.log" | tr '\n' ' ')"
    say "built and installed in $((SECONDS - step))s"

    vector_ok || die "pgvector was installed but CREATE EXTENSION vector still fails in $DB"
    say "pgvector $(vector_version) is installed (CREATE EXTENSION vector works in $DB)"
fi

say "all services ready in $((SECONDS - started))s"
