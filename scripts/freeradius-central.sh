#!/usr/bin/env bash
# A private FreeRADIUS 3.2 (Debian `freeradius`) playing the operator's central RADIUS server:
# rlm_sql + sqlite with the stock schema and stock queries, for the tests and the benchmark.
#
#   scripts/freeradius-central.sh start DIR AUTH_PORT ACCT_PORT SECRET
#   scripts/freeradius-central.sh stop DIR
#
# start writes a config under DIR/raddb (nothing is read from /etc/freeradius at run time),
# creates DIR/radius.db from the stock sqlite schema unless it exists (so a stop and a start
# keep radacct), runs `freeradius -f` in the background as the current user (pid in DIR/pid,
# log in DIR/radius.log) listening on 127.0.0.1 AUTH_PORT / ACCT_PORT, and returns once it
# answers a Status-Server. A second start of a running DIR is a no-op.
#
# What the server does (the stock `default` site, cut down):
#   client 127.0.0.0/8 with SECRET; require_message_authenticator as stock (3.2.1: no, so an
#     Access-Request without one is accepted, but one with a wrong one is dropped);
#   authorize: chap, sql (radcheck / radreply / groups), pap; authenticate PAP or CHAP against
#     a Cleartext-Password in radcheck; post-auth: sql writes radpostauth (stock);
#   preacct: acct_unique (stock Acct-Unique-Session-Id); a packet without Event-Timestamp
#     gets one of arrival time − Acct-Delay-Time, so radacct's times are event times;
#   accounting: sql with the stock start / interim-update / stop / accounting-on|off queries
#     into radacct (octets include gigawords), and one JSON line per Accounting-Request in
#     DIR/accounting.jsonl with every attribute as received (Acct-Delay-Time, Event-Timestamp,
#     order of arrival): {"arrival":EPOCH,"event_timestamp":EPOCH,"attrs":{"User-Name":"u",
#     "Acct-Status-Type":1,"Acct-Delay-Time":30,…}} (enumerated values as integers; the
#     Event-Timestamp in attrs is a date string, and is the filled-in one when none was sent).
# Users: INSERT INTO radcheck (username, attribute, op, value) VALUES ('u', 'Cleartext-Password',
# ':=', 'pw'); radreply ('u', 'Session-Timeout', ':=', '3600'), ('u', 'Mikrotik-Rate-Limit', ':=', '1M/2M').
#
# Knobs (environment, for scripts/bench-radius.sh; the defaults are stock):
#   FR_START_SERVERS / FR_MAX_SERVERS / FR_MIN_SPARE / FR_MAX_SPARE   thread pool (5 / 32 / 3 / 10)
#   FR_SQL_POOL_START / FR_SQL_POOL_MAX   rlm_sql connections (default: the thread pool's)
#   FR_SQL_OPEN_QUERY     run on each new sqlite connection (e.g. "PRAGMA synchronous=NORMAL")
#   FR_SQL_WAL=1          put radius.db in WAL mode when creating it
#   FR_POSTAUTH_SQL=0     no radpostauth row per authentication
#   FR_SQL_READ_GROUPS=no  skip the radusergroup lookup (radreply with Fall-Through = yes still reads it)
#   FR_ACCT_LOG=0         no DIR/accounting.jsonl
#   FR_REQUIRE_MESSAGE_AUTHENTICATOR=yes   drop Access-Requests without one (3.2.5+ behaviour)
#   FR_REJECT_DELAY       seconds before an Access-Reject (stock 1; default here 0, tests are faster)
set -euo pipefail

SCHEMA=/etc/freeradius/3.0/mods-config/sql/main/sqlite/schema.sql
QUERIES=/etc/freeradius/3.0/mods-config/sql/main/sqlite/queries.conf
POLICY=/etc/freeradius/3.0/policy.d/accounting
FREERADIUS=$(command -v freeradius || echo /usr/sbin/freeradius)

die() { echo "freeradius-central: $*" >&2; exit 1; }
usage() { sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

alive() { # PID → true while it runs (a zombie its parent has not reaped yet counts as ended)
  kill -0 "$1" 2>/dev/null && [[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

running() { # DIR → true when DIR/pid names a live freeradius
  local pid
  [[ -s "$1/pid" ]] || return 1
  pid=$(<"$1/pid")
  alive "$pid" && grep -q freeradius "/proc/$pid/cmdline" 2>/dev/null
}

write_config() {
  local dir=$1 auth=$2 acct=$3 secret=$4 raddb=$1/raddb
  local start=${FR_START_SERVERS:-5} max=${FR_MAX_SERVERS:-32}
  local esc=${secret//\\/\\\\}
  esc=${esc//\"/\\\"}
  mkdir -p "$raddb/mods-config/sql/main/sqlite" "$raddb/policy.d"
  # the stock files this config needs, copied so that nothing under /etc is read at run time
  cp "$SCHEMA" "$QUERIES" "$raddb/mods-config/sql/main/sqlite/"
  cp "$POLICY" "$raddb/policy.d/accounting"
  : >"$raddb/dictionary"  # local additions: none (the stock one is comments only)

  cat >"$raddb/radiusd.conf" <<EOF
# Written by scripts/freeradius-central.sh: a private central RADIUS for hotspotd's tests.
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $dir
raddbdir = $raddb
radacctdir = $dir/radacct
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
run_dir = $dir
db_dir = $dir
libdir = /usr/lib/freeradius
pidfile = $dir/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
	destination = files
	colourise = no
	file = $dir/radius.log
	stripped_names = no
	auth = no
	auth_badpass = no
	auth_goodpass = no
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = ${FR_REJECT_DELAY:-0}
	status_server = yes
}
thread pool {
	start_servers = $start
	max_servers = $max
	min_spare_servers = ${FR_MIN_SPARE:-3}
	max_spare_servers = ${FR_MAX_SPARE:-10}
	max_requests_per_server = 0
	auto_limit_acct = no
}
client localnet {
	ipaddr = 127.0.0.0/8
	secret = "$esc"
	require_message_authenticator = ${FR_REQUIRE_MESSAGE_AUTHENTICATOR:-no}
	nas_type = other
}
modules {
	always ok {
		rcode = ok
	}
	always noop {
		rcode = noop
	}
	always fail {
		rcode = fail
	}
	always reject {
		rcode = reject
	}
	expr {
		safe_characters = "@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_: /äéöüàâæçèéêëîïôœùûüaÿÄÉÖÜßÀÂÆÇÈÉÊËÎÏÔŒÙÛÜŸ"
	}
	pap {
		normalise = yes
	}
	chap {
	}
	json {
		encode {
			output_mode = object_simple
			value {
				enum_as_integer = yes
			}
		}
	}
	linelog acct_json {
		filename = $dir/accounting.jsonl
		permissions = 0644
		format = "{\\"arrival\\":%l,\\"event_timestamp\\":%{integer:Event-Timestamp},\\"attrs\\":%{json_encode:&request:[*]}}"
	}
	sql {
		dialect = "sqlite"
		driver = "rlm_sql_sqlite"
		sqlite {
			filename = "$dir/radius.db"
			busy_timeout = 5000
		}
		radius_db = "radius"
		acct_table1 = "radacct"
		acct_table2 = "radacct"
		postauth_table = "radpostauth"
		authcheck_table = "radcheck"
		groupcheck_table = "radgroupcheck"
		authreply_table = "radreply"
		groupreply_table = "radgroupreply"
		usergroup_table = "radusergroup"
		delete_stale_sessions = yes
		read_groups = ${FR_SQL_READ_GROUPS:-yes}
$( [[ -n "${FR_SQL_OPEN_QUERY:-}" ]] && printf '\t\topen_query = "%s"\n' "$FR_SQL_OPEN_QUERY" )
		pool {
			start = ${FR_SQL_POOL_START:-$start}
			min = ${FR_SQL_POOL_START:-$start}
			max = ${FR_SQL_POOL_MAX:-$max}
			spare = ${FR_SQL_POOL_MAX:-$max}
			uses = 0
			retry_delay = 1
			lifetime = 0
			idle_timeout = 0
		}
		client_table = "nas"
		group_attribute = "SQL-Group"
		\$INCLUDE \${modconfdir}/\${.:name}/main/\${dialect}/queries.conf
	}
	attr_filter attr_filter.access_reject {
		key = "%{User-Name}"
		filename = \${modconfdir}/attr_filter/access_reject
	}
	attr_filter attr_filter.accounting_response {
		key = "%{User-Name}"
		filename = \${modconfdir}/attr_filter/accounting_response
	}
}
policy {
	\$INCLUDE policy.d/accounting
}
server central {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $auth
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $acct
	}
	authorize {
		chap
		sql
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
	}
	preacct {
		if (!&Event-Timestamp) {
			update request {
				&Event-Timestamp := "%{expr:%l - %{%{Acct-Delay-Time}:-0}}"
			}
		}
		acct_unique
	}
	accounting {
		sql
$( [[ "${FR_ACCT_LOG:-1}" == 1 ]] && printf '\t\tacct_json\n' )
		attr_filter.accounting_response
	}
	post-auth {
$( [[ "${FR_POSTAUTH_SQL:-1}" == 1 ]] && printf '\t\tsql\n' )
		Post-Auth-Type REJECT {
$( [[ "${FR_POSTAUTH_SQL:-1}" == 1 ]] && printf '\t\t\tsql\n' )
			attr_filter.access_reject
		}
	}
}
EOF
  mkdir -p "$raddb/mods-config/attr_filter"
  cp /etc/freeradius/3.0/mods-config/attr_filter/access_reject /etc/freeradius/3.0/mods-config/attr_filter/accounting_response "$raddb/mods-config/attr_filter/"
}

create_db() { # DIR: the stock schema, once
  local db=$1/radius.db
  [[ -e "$db" ]] && return 0
  python3 - "$db" "$SCHEMA" "${FR_SQL_WAL:-0}" <<'EOF'
import sqlite3, sys
db, schema, wal = sys.argv[1:4]
conn = sqlite3.connect(db)
conn.executescript(open(schema).read())
if wal == "1":
    conn.execute("PRAGMA journal_mode=WAL")
conn.commit()
conn.close()
EOF
}

port_free() { # PORT → true when nothing holds 127.0.0.1:PORT/udp (FreeRADIUS binds with
  # SO_REUSEADDR, so a second one on a taken port would start and share the packets)
  python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

answers() { # PORT SECRET → true when a Status-Server is answered
  echo 'Message-Authenticator = 0x00' | radclient -q -r 1 -t 1 "127.0.0.1:$1" status "$2" >/dev/null 2>&1
}

start() {
  [[ $# -eq 4 ]] || usage
  local dir=$1 auth=$2 acct=$3 secret=$4 pid i
  [[ -x "$FREERADIUS" ]] || die "freeradius is not installed (apt-get install freeradius freeradius-utils)"
  command -v radclient >/dev/null || die "radclient is not installed (apt-get install freeradius-utils)"
  [[ -r "$SCHEMA" && -r "$QUERIES" ]] || die "the stock sqlite schema/queries are missing ($SCHEMA)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if running "$dir"; then
    echo "freeradius-central: already running in $dir (pid $(<"$dir/pid"))" >&2
    return 0
  fi
  port_free "$auth" || die "127.0.0.1:$auth/udp is taken"
  port_free "$acct" || die "127.0.0.1:$acct/udp is taken"
  write_config "$dir" "$auth" "$acct" "$secret"
  create_db "$dir"
  "$FREERADIUS" -C -d "$dir/raddb" >"$dir/check.log" 2>&1 || { tail -n 30 "$dir/check.log" >&2; die "the config does not load"; }
  "$FREERADIUS" -f -d "$dir/raddb" </dev/null >>"$dir/stdout.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/pid"
  for ((i = 0; i < 100; i++)); do
    if ! alive "$pid"; then
      tail -n 30 "$dir/radius.log" "$dir/stdout.log" >&2 2>/dev/null || true
      rm -f "$dir/pid"
      die "freeradius exited while starting"
    fi
    if answers "$auth" "$secret" && answers "$acct" "$secret"; then
      echo "freeradius-central: pid $pid on 127.0.0.1:$auth/$acct, db $dir/radius.db" >&2
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "$dir/radius.log" "$dir/stdout.log" >&2 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  die "freeradius did not answer within 10 s"
}

stop() {
  [[ $# -eq 1 ]] || usage
  local dir=$1 pid i
  [[ -s "$dir/pid" ]] || return 0
  pid=$(<"$dir/pid")
  if running "$dir"; then
    kill "$pid"
    for ((i = 0; i < 50; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    alive "$pid" && kill -9 "$pid" 2>/dev/null
    for ((i = 0; i < 20; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
  fi
  rm -f "$dir/pid"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) usage ;;
esac
