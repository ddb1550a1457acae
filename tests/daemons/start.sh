#!/usr/bin/env bash
# Starts one real daemon (installed from Debian by scripts/setup.sh) as its own
# foreground process for the --starttls tests: configuration, data and log in
# DIR, a free ephemeral port on 127.0.0.1, TLS with CERTDIR's good.chain.pem and
# good.key (made by scripts/gen-certs.sh; CERTDIR's ca.crt verifies them).
# Prints "PORT PID" once the daemon listens; stop it with tests/daemons/stop.sh PID.
# On failure it exits 1 with the daemon's log on stderr; it never skips.
# Usage: start.sh PROTO DIR [CERTDIR]   (CERTDIR defaults to $SRECV_CERTS)
# PROTO: imap pop3 lmtp (dovecot), smtp (postfix), postgres, ftp (vsftpd),
#        ldap (slapd), xmpp (prosody).
set -euo pipefail

proto=${1:?usage: start.sh PROTO DIR [CERTDIR]}
dir=${2:?usage: start.sh PROTO DIR [CERTDIR]}
certs=${3:-${SRECV_CERTS:?start.sh: no CERTDIR and no SRECV_CERTS}}
[ -r "$certs/good.chain.pem" ] && [ -r "$certs/good.key" ] ||
	{ echo "start.sh: no good.chain.pem/good.key in $certs" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "start.sh: $proto: $*" >&2; exit 1; }

# Who the daemon runs as. As root (CI) daemons run as nobody so none of them
# is privileged, except postfix's master, which refuses to run as anyone but
# root (it drops to mail_owner itself for smtpd); otherwise as the caller.
if [ "$(id -u)" -eq 0 ]; then
	run_user=nobody
	run_group=$(id -gn nobody)
	as_user=(setpriv --reuid="$run_user" --regid="$run_group" --clear-groups --)
else
	run_user=$(id -un)
	run_group=$(id -gn)
	as_user=()
fi

# A port nobody listens on now: bind port 0, read it, close. Another process
# may take it before the daemon binds; the start loop below retries then.
# perl-base is Essential in Debian, so this needs nothing installed.
free_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
			Proto => "tcp", Listen => 1) or die "bind: $!\n";
		print $s->sockport, "\n";'
}

# True once the daemon ($2, the PID) itself listens on 127.0.0.1:$1: a LISTEN
# socket (state 0A) for the port in /proc/net/tcp whose inode is one of the
# daemon's descriptors. Another process that took the port does not count,
# and nothing connects, so the daemon sees no stray session.
listening() {
	local hex inode
	hex=$(printf '%04X' "$1")
	for inode in $(awk -v p=":$hex" 'NR > 1 && $4 == "0A" &&
		($2 == "0100007F" p || $2 == "00000000" p) { print $10 }' /proc/net/tcp); do
		# (No "ls | grep -q": under pipefail, grep leaving early fails ls.)
		case $(ls -l "/proc/$2/fd" 2>/dev/null) in
		*"socket:[$inode]"*) return 0 ;;
		esac
	done
	return 1
}

# True when anything listens on 127.0.0.1:$1 (or on every address).
taken() {
	awk -v p=":$(printf '%04X' "$1")" 'NR > 1 && $4 == "0A" &&
		($2 == "0100007F" p || $2 == "00000000" p) { f = 1 } END { exit !f }' /proc/net/tcp
}

# Alive and not a zombie (nobody may reap it once start.sh has exited).
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# The server certificate and key, readable by the daemon's user only.
install_cert() {
	cp "$certs/good.chain.pem" "$w/cert.pem"
	cp "$certs/good.key" "$w/key.pem"
	chmod 600 "$w/cert.pem" "$w/key.pem"
}

# Each conf_PROTO writes its configuration into $w for port $port and sets
# cmd (the foreground command) and runas (the prefix that drops privileges).

conf_dovecot() { # service name (imap, pop3, lmtp)
	local svc=$1
	mkdir -p "$w/run" "$w/state" "$w/home"
	: >"$w/passwd"
	# Non-root Dovecot: every internal and login process runs as run_user, and
	# login processes are not chrooted (that needs root); see dovecot.conf(5)
	# and the "Running Dovecot as non-root" section of its documentation.
	cat >"$w/dovecot.conf" <<-EOF
		instance_name = srecv-test-$svc-$port
		base_dir = $w/run
		state_dir = $w/state
		log_path = /dev/stderr
		protocols = $svc
		listen = 127.0.0.1
		default_internal_user = $run_user
		default_internal_group = $run_group
		default_login_user = $run_user
		ssl = yes
		ssl_cert = <$w/cert.pem
		ssl_key = <$w/key.pem
		auth_mechanisms = plain
		passdb {
		  driver = passwd-file
		  args = $w/passwd
		}
		userdb {
		  driver = static
		  args = uid=$run_user gid=$run_group home=$w/home/%u
		}
		mail_location = maildir:~/Maildir
		service anvil {
		  chroot =
		}
		service imap-login {
		  chroot =
		  inet_listener imap {
		    port = $([ "$svc" = imap ] && echo "$port" || echo 0)
		  }
		  inet_listener imaps {
		    port = 0
		  }
		}
		service pop3-login {
		  chroot =
		  inet_listener pop3 {
		    port = $([ "$svc" = pop3 ] && echo "$port" || echo 0)
		  }
		  inet_listener pop3s {
		    port = 0
		  }
		}
		service lmtp {
		  unix_listener lmtp {
		    mode = 0600
		  }
		  inet_listener lmtp {
		    address = 127.0.0.1
		    port = $([ "$svc" = lmtp ] && echo "$port" || echo 0)
		  }
		}
	EOF
	cmd=(dovecot -F -c "$w/dovecot.conf")
	runas=("${as_user[@]}")
}

conf_imap() { conf_dovecot imap; }
conf_pop3() { conf_dovecot pop3; }
conf_lmtp() { conf_dovecot lmtp; }

conf_smtp() {
	# Postfix's master refuses to run as anyone but root ("the master command
	# is reserved for the superuser"), so this one needs root; it runs smtpd
	# unchrooted as mail_owner (the postfix user the package made), and its own
	# config_directory, queue and data directories live in $w.
	[ "$(id -u)" -eq 0 ] || die "postfix's master(8) runs only as root (CI runs as root)"
	mkdir -p "$w/etc" "$w/queue/pid" "$w/queue/public" "$w/queue/private" "$w/data"
	cat >"$w/etc/main.cf" <<-EOF
		compatibility_level = 3.6
		queue_directory = $w/queue
		data_directory = $w/data
		mail_owner = postfix
		setgid_group = postdrop
		myhostname = localhost
		mydestination =
		mynetworks = 127.0.0.0/8
		inet_interfaces = loopback-only
		inet_protocols = ipv4
		alias_maps =
		alias_database =
		local_recipient_maps =
		maillog_file = /dev/stdout
		smtpd_banner = \$myhostname ESMTP srecv-test
		smtpd_tls_security_level = may
		smtpd_tls_chain_files = $w/key.pem, $w/cert.pem
	EOF
	# master.cf: service type private unpriv chroot wakeup maxproc command.
	cat >"$w/etc/master.cf" <<-EOF
		127.0.0.1:$port inet n - n - - smtpd
		postlog unix-dgram n - n - 1 postlogd
		tlsmgr unix - - n 1000? 1 tlsmgr
		anvil unix - - n - 1 anvil
		proxymap unix - - n - - proxymap
		cleanup unix n - n - 0 cleanup
		rewrite unix - - n - - trivial-rewrite
	EOF
	chown -R postfix:postdrop "$w/queue/public" "$w/queue/private" "$w/data"
	chmod 700 "$w/queue/private"
	chmod 710 "$w/queue/public"
	# master stops its children with kill(-pid) on SIGTERM, so it must lead
	# its own process group: setsid (which execs in place, keeping the PID).
	cmd=(setsid /usr/lib/postfix/sbin/master -d -c "$w/etc")
	runas=()
}

conf_postgres() {
	# PostgreSQL refuses root: initdb and postgres run as run_user, with its
	# socket directory in $w and TCP on 127.0.0.1 only.
	local bin
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$bin/initdb" ] || die "no /usr/lib/postgresql/*/bin/initdb (scripts/setup.sh installs postgresql)"
	[ "$(id -u)" -ne 0 ] || chown -R "$run_user:$run_group" "$w"
	if ! "${as_user[@]}" "$bin/initdb" -D "$w/data" -U postgres -A trust --no-sync \
		--locale=C -E UTF8 >"$w/initdb.log" 2>&1; then
		cat "$w/initdb.log" >&2
		die "initdb failed"
	fi
	cmd=("$bin/postgres" -D "$w/data" -k "$w" -p "$port" -c listen_addresses=127.0.0.1
		-c ssl=on -c ssl_cert_file="$w/cert.pem" -c ssl_key_file="$w/key.pem"
		-c fsync=off)
	runas=("${as_user[@]}")
}

conf_ftp() {
	# vsftpd in standalone mode (listen=YES) in the foreground, as the user
	# that launched it (run_as_launching_user: no root, no privilege
	# separation); the namespace isolation and the seccomp sandbox are off as
	# they need privileges a container may not grant. local_enable only
	# because vsftpd will not start with no kind of login enabled; no login
	# can succeed here (PAM as an unprivileged user). See vsftpd.conf(5).
	mkdir -p "$w/empty"
	cat >"$w/vsftpd.conf" <<-EOF
		listen=YES
		listen_ipv6=NO
		listen_address=127.0.0.1
		listen_port=$port
		background=NO
		run_as_launching_user=YES
		isolate=NO
		isolate_network=NO
		seccomp_sandbox=NO
		secure_chroot_dir=$w/empty
		anonymous_enable=NO
		local_enable=YES
		xferlog_enable=NO
		ftpd_banner=srecv-test FTP ready
		ssl_enable=YES
		rsa_cert_file=$w/cert.pem
		rsa_private_key_file=$w/key.pem
	EOF
	cmd=(vsftpd "$w/vsftpd.conf")
	runas=("${as_user[@]}")
}

conf_ldap() {
	# slapd with an old-style slapd.conf (slapd.conf(5)) and one empty mdb
	# database; -d keeps it in the foreground (slapd(8)), -h binds only
	# 127.0.0.1:port, and the StartTLS extended operation uses the TLS* files.
	mkdir -p "$w/db"
	cat >"$w/slapd.conf" <<-EOF
		include /etc/ldap/schema/core.schema
		pidfile $w/slapd.pid
		argsfile $w/slapd.args
		modulepath /usr/lib/ldap
		moduleload back_mdb
		TLSCertificateFile $w/cert.pem
		TLSCertificateKeyFile $w/key.pem
		database mdb
		suffix "dc=srecv,dc=test"
		directory $w/db
		maxsize 10485760
	EOF
	cmd=(slapd -d 0 -f "$w/slapd.conf" -h "ldap://127.0.0.1:$port/")
	runas=("${as_user[@]}")
}

conf_xmpp() {
	# Prosody in the foreground (-F) with one virtual host, localhost, that
	# offers STARTTLS on c2s; no s2s, component or HTTP listeners. Its
	# certificate directory is an empty one of ours, so nothing from
	# /etc/prosody is picked up.
	mkdir -p "$w/data" "$w/certs"
	cat >"$w/prosody.cfg.lua" <<-EOF
		pidfile = "$w/prosody.pid"
		data_path = "$w/data"
		certificates = "$w/certs"
		log = { { levels = { min = "info" }, to = "console" } }
		interfaces = { "127.0.0.1" }
		c2s_ports = { $port }
		c2s_direct_tls_ports = { }
		s2s_ports = { }
		s2s_direct_tls_ports = { }
		component_ports = { }
		http_ports = { }
		https_ports = { }
		modules_enabled = { "tls", "saslauth", "disco", "ping" }
		modules_disabled = { "s2s" }
		authentication = "internal_hashed"
		storage = "internal"
		c2s_require_encryption = true
		ssl = { certificate = "$w/cert.pem", key = "$w/key.pem" }
		VirtualHost "localhost"
	EOF
	cmd=(prosody -F --config "$w/prosody.cfg.lua")
	runas=("${as_user[@]}")
}

mkdir -p "$dir"
w=$(cd "$dir" && pwd)/$proto
if [ "$(id -u)" -eq 0 ]; then
	# DIR is often a 0700 mktemp -d: let nobody through it to its own subdir.
	chmod a+x "$dir"
	"${as_user[@]}" test -x "$dir" ||
		die "$run_user cannot reach $dir (a parent directory is not searchable)"
fi
declare -F "conf_$proto" >/dev/null || die "unknown protocol (imap pop3 lmtp smtp postgres ftp ldap xmpp)"

for _ in 1 2 3 4 5; do
	port=$(free_port) || die "no free port"
	rm -rf "$w"
	mkdir -p "$w"
	install_cert
	cmd=()
	runas=()
	"conf_$proto"
	[ "$(id -u)" -ne 0 ] || [ "${runas[0]:-}" != setpriv ] || chown -R "$run_user:$run_group" "$w"
	(cd "$w" && exec "${runas[@]}" "${cmd[@]}" </dev/null >"$w/daemon.log" 2>&1) &
	pid=$!
	lost=0
	for _ in $(seq 600); do # up to 30 s (a loaded machine: ctest -j, sanitizers)
		listening "$port" "$pid" && break
		alive "$pid" || break
		# Someone else listens there: the daemon cannot bind it (prosody
		# even stays up without the port).
		if taken "$port"; then
			listening "$port" "$pid" && break
			lost=1
			break
		fi
		sleep 0.05
	done
	if [ "$lost" -eq 0 ] && alive "$pid" && listening "$port" "$pid"; then
		echo "$port $pid"
		exit 0
	fi
	bash "$here/stop.sh" "$pid" 2>/dev/null
	# Lost the port to another process: try another one. Anything else is
	# fatal. (Some daemons log nothing then: slapd -d 0, postfix before its
	# log service runs.)
	if [ "$lost" -eq 1 ] || taken "$port" ||
		grep -qiE 'address already in use|could not bind|port is in use' "$w"/*.log; then
		continue
	fi
	{
		echo "start.sh: $proto: ${cmd[*]} did not listen on 127.0.0.1:$port; its log:"
		cat "$w"/*.log
	} >&2
	exit 1
done
die "no free port after 5 attempts"
