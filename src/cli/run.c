/*
 * run.c - the steps of one srecv run around main.c's receive loop: set up
 * before any network I/O, and afterwards one error line, FILE.part's fate,
 * the -v summary and the --info-json record. Uses libsrecv's public API
 * only; never touches signal dispositions (main.c owns them).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "pass.h"
#include "report.h"
#include "run.h"
#include "session.h"

/* One line on stderr in one write, peer-chosen bytes made harmless:
 * "srecv: " prefix + the formatted text (through term_string). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char text[2048];
	char *out = NULL;
	size_t len = 0;
	FILE *m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	m = open_memstream(&out, &len);
	if (m == NULL) {
		fprintf(stderr, "srecv: %s\n", text); /* out of memory: still say it */
		return;
	}
	fputs("srecv: ", m);
	term_string(m, text);
	fputc('\n', m);
	if (fclose(m) == 0)
		fwrite(out, 1, len, stderr);
	free(out);
}

void run_init(struct run *r, const volatile sig_atomic_t *signo)
{
	memset(r, 0, sizeof(*r));
	r->send_fd = -1;
	r->sink.fd = -1;
	r->signo = signo;
	r->start_ns = progress_now_ns();
}

static int fail(struct run *r, srecv_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A failure during setup: the reason into r->err, then finish the run. */
static int fail(struct run *r, srecv_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return run_finish(r, st);
}

/* --send-file: opened (and checked to be readable data) before connecting,
 * so a bad file is a usage error that costs no network I/O. */
static int open_send_file(struct run *r)
{
	struct stat st;

	if (r->o.send_file == NULL)
		return 0;
	if (strcmp(r->o.send_file, "-") == 0) {
		r->send_fd = STDIN_FILENO;
		return 0;
	}
	r->send_fd = open(r->o.send_file, O_RDONLY | O_CLOEXEC);
	if (r->send_fd < 0) {
		snprintf(r->err, sizeof(r->err), "--send-file: cannot read '%s': %s",
			 r->o.send_file, strerror(errno));
		return -1;
	}
	if (fstat(r->send_fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(r->err, sizeof(r->err), "--send-file: cannot read '%s': %s",
			 r->o.send_file, strerror(EISDIR));
		return -1;
	}
	return 0;
}

/* --info-json FILE is created up front: a record that cannot be written is
 * an output error found before connecting, like -o's. It goes through the
 * sink like -o FILE (a temporary name renamed into place, never a planted
 * link followed; FIFOs, devices and /dev/fd/N written directly). */
static int open_info(struct run *r)
{
	char why[sizeof(r->err) - 32];
	int fd;

	if (r->o.info_json == NULL)
		return 0;
	if (strcmp(r->o.info_json, "-") == 0) {
		r->info = stderr;
		return 0;
	}
	if (sink_open(&r->info_sink, r->o.info_json, why, sizeof(why)) != 0) {
		snprintf(r->err, sizeof(r->err), "--info-json: %s", why);
		return -1;
	}
	r->info_sink_open = 1;
	/* stdio on a duplicate: fclose leaves the sink's (locked) descriptor
	 * for the rename in write_info. */
	fd = fcntl(r->info_sink.fd, F_DUPFD_CLOEXEC, 3);
	r->info = fd < 0 ? NULL : fdopen(fd, "w");
	if (r->info == NULL) {
		snprintf(r->err, sizeof(r->err), "--info-json: cannot create '%s': %s",
			 r->info_sink.name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}

/* --save-chain FILE: created up front like -o's FILE (sink.c: a temporary
 * name, never a planted link or another user's file), so a file that
 * cannot be made fails before connecting. "-" is standard output, where
 * the chain then comes before any data. */
static int open_save_chain(struct run *r)
{
	const char *path = r->o.save_chain;
	char why[sizeof(r->err) - 32];

	if (path == NULL)
		return 0;
	if (sink_open(&r->chain_sink, strcmp(path, "-") == 0 ? NULL : path, why, sizeof(why)) != 0) {
		snprintf(r->err, sizeof(r->err), "--save-chain: %s", why);
		return -1;
	}
	r->chain_sink_open = 1;
	return 0;
}

/* After the handshake, whatever its outcome (a failed verification is when
 * the chain is wanted): every certificate the server sent, leaf first, as
 * PEM, then renamed into place. Without a certificate (no TLS handshake
 * got that far) nothing is written and the temporary file goes (at
 * run_free). */
static void save_chain(struct run *r)
{
	size_t i, n = srecv_conn_chain_count(r->conn);
	char why[sizeof(r->chain_err) - 32] = "";
	int errnum = 0, rc = 0;

	/* No certificate yet (the try failed before the handshake): the file
	 * waits for a --retry's try, or run_free removes it. */
	if (!r->chain_sink_open || n == 0)
		return;
	for (i = 0; i < n && rc == 0; i++) {
		const srecv_cert_info *ci = srecv_conn_chain_cert(r->conn, i);

		if (ci == NULL || ci->pem == NULL) {
			snprintf(why, sizeof(why), "internal error: out of memory");
			rc = -1;
		} else {
			rc = sink_write(&r->chain_sink, ci->pem, strlen(ci->pem), &errnum, why,
					sizeof(why));
		}
	}
	if (n > 0 && rc == 0)
		rc = sink_commit(&r->chain_sink, why, sizeof(why));
	else
		sink_abort(&r->chain_sink);
	sink_free(&r->chain_sink);
	r->chain_sink_open = 0;
	if (rc != 0)
		snprintf(r->chain_err, sizeof(r->chain_err), "--save-chain: %s", why);
}

/* --pass: read the passphrase before connecting and hand it to the config,
 * which keeps its own copy; ours is wiped at once. */
static srecv_status apply_pass(struct run *r)
{
	char *pass = NULL;
	srecv_status st;

	if (r->o.pass == NULL)
		return SRECV_OK;
	if (pass_read(r->o.pass, &pass, r->err, sizeof(r->err)) != 0)
		return SRECV_EUSAGE;
	st = srecv_config_set_key_passphrase(r->cfg, pass);
	pass_free(pass);
	if (st != SRECV_OK)
		snprintf(r->err, sizeof(r->err), "--pass: %s", srecv_config_error(r->cfg));
	return st;
}

/* --session FILE: the saved session is read (a file that is not safe to
 * hold a secret is refused: exit 2) and FILE.part made, before connecting;
 * a file holding no usable session only costs the resumption. again: a
 * --retry attempt, whose new connection is offered the session once more
 * (FILE.part is made already). */
static int prepare_session(struct run *r, int again)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char why[sizeof(r->err) - 32];
	int rc = -1;

	if (r->o.session == NULL || !r->o.tls)
		return 0;
	if (session_read(r->o.session, &data, &len, why, sizeof(why)) != 0 ||
	    (!again && sink_open_secret(&r->session_sink, r->o.session, why, sizeof(why)) != 0)) {
		snprintf(r->err, sizeof(r->err), "--session: %s", why);
		goto out;
	}
	r->session_sink_open = 1;
	if (data != NULL && srecv_conn_set_session(r->conn, data, len) != SRECV_OK &&
	    r->o.verbose && !again)
		say("--session: '%s' holds no session to resume (%s): full handshake",
		    r->o.session, srecv_error(r->conn));
	rc = 0;
out:
	session_data_free(data, len); /* the library keeps its own copy */
	return rc;
}

/* After the transfer: the session to resume next time replaces FILE; when
 * there is none (a failed handshake, no ticket), FILE stays as it was. */
static void save_session(struct run *r)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char why[512];

	if (!r->session_sink_open)
		return;
	r->session_sink_open = 0;
	if (srecv_conn_session(r->conn, NULL, &len) == SRECV_OK && len > 0 &&
	    (data = malloc(len)) != NULL && srecv_conn_session(r->conn, data, &len) == SRECV_OK &&
	    len > 0) {
		if (session_write(&r->session_sink, data, len, why, sizeof(why)) != 0 && !r->o.quiet)
			say("warning: --session: not saved: %s", why);
	}
	sink_abort(&r->session_sink); /* after a commit: nothing left to do */
	sink_free(&r->session_sink);
	session_data_free(data, len);
}

/* The option to change for what the library's error suggests, appended to
 * the error line (the library names no flags: srecv_conn_hint(3) for a
 * connection, srecv_config_hint for a setter). */
static void add_hint_advice(struct run *r, srecv_hint hint)
{
	const char *advice = NULL;
	size_t used = strlen(r->err);

	switch (hint) {
	case SRECV_HINT_CLIENT_CERT: advice = ": give one with --cert/--key"; break;
	case SRECV_HINT_TLS_VERSION: advice = ": check --tls-min/--tls-max"; break;
	case SRECV_HINT_KEY_ENCRYPTED: advice = ": give its passphrase with --pass"; break;
	case SRECV_HINT_NO_KEY: advice = ": give the key with --key"; break;
	case SRECV_HINT_CONNECT_TIMEOUT: advice = " (--connect-timeout)"; break;
	case SRECV_HINT_IDLE_TIMEOUT: advice = " (--idle-timeout)"; break;
	case SRECV_HINT_TOTAL_TIMEOUT: advice = " (--max-time)"; break;
	default: break; /* CAPATH_UNHASHED: the library's words say it all */
	}
	if (advice != NULL)
		snprintf(r->err + used, sizeof(r->err) - used, "%s", advice);
}

/* srecv_trace_fn for -v: each line of the STARTTLS dialogue as "< " (the
 * server's) or "> " (ours) and the bytes, anything but printable ASCII as
 * \xHH (the server's words never reach the terminal raw). */
static void trace_line(void *arg, int sent, const char *data, size_t len)
{
	FILE *f = arg;
	size_t i;

	fputs(sent ? "> " : "< ", f);
	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)data[i];

		if (b >= 0x20 && b < 0x7f)
			fputc(b, f);
		else
			fprintf(f, "\\x%02x", b);
	}
	fputc('\n', f);
}

/* -v with --starttls: collect the dialogue for run_connected. */
static srecv_status start_dialogue(struct run *r)
{
	if (!r->o.verbose || r->o.starttls == NULL)
		return SRECV_OK;
	r->dialogue = open_memstream(&r->dialogue_buf, &r->dialogue_len);
	if (r->dialogue == NULL)
		return SRECV_EINTERNAL;
	return srecv_config_set_trace(r->cfg, trace_line, r->dialogue);
}

int run_prepare(struct run *r, int argc, char **argv, int cancel_fd)
{
	const char *flag = NULL;
	srecv_status st;

	if (opts_parse(&r->o, argc, argv, r->err, sizeof(r->err)) != 0) {
		say("%s", r->err);
		return SRECV_EUSAGE;
	}
	if (r->o.help) {
		fputs(opts_usage, stdout);
		return 0;
	}
	if (r->o.version)
		return RUN_VERSION;
	/* A TLS run starts OpenSSL as a process that exits when done: no
	 * clean-up at exit, error text loaded only for an error that quotes
	 * it. A plain run never starts OpenSSL (nor reads its config). */
	if (r->o.tls && srecv_global_init(SRECV_INIT_NO_EXIT_CLEANUP | SRECV_INIT_LAZY_ERROR_TEXT) !=
				SRECV_OK)
		return fail(r, SRECV_EINTERNAL, "internal error: OpenSSL failed to start");
	if (r->parsed != NULL && r->parsed(r) != 0)
		return fail(r, SRECV_EINTERNAL, "internal error: cannot set up --max-time: %s",
			    strerror(errno));
	r->left = r->o.max_bytes;
	r->buf = malloc(RUN_BUF_SIZE);
	r->cfg = srecv_config_new();
	if (r->buf == NULL || r->cfg == NULL)
		return fail(r, SRECV_EINTERNAL, "internal error: out of memory");
	r->doing = "opening --info-json";
	if (open_info(r) != 0)
		return run_finish(r, SRECV_EOUTPUT);
	r->doing = "opening --save-chain";
	if (open_save_chain(r) != 0)
		return run_finish(r, SRECV_EOUTPUT);
	if (srecv_config_set_cancel_fd(r->cfg, cancel_fd) != SRECV_OK)
		return fail(r, SRECV_EINTERNAL, "internal error: %s", srecv_config_error(r->cfg));
	/* The passphrase first: the key pair is loaded by its setter. */
	if ((st = apply_pass(r)) != SRECV_OK)
		return run_finish(r, st);
	st = opts_apply(&r->o, r->cfg, &flag);
	if (st != SRECV_OK) {
		snprintf(r->err, sizeof(r->err), "%s%s%s", flag ? flag : "", flag ? ": " : "",
			 srecv_config_error(r->cfg));
		add_hint_advice(r, srecv_config_hint(r->cfg));
		return run_finish(r, st);
	}
	if (start_dialogue(r) != SRECV_OK)
		return fail(r, SRECV_EINTERNAL, "internal error: out of memory");
	r->doing = "opening --send-file";
	if (open_send_file(r) != 0)
		return run_finish(r, SRECV_EUSAGE);
	if (r->o.many)
		return RUN_MANY; /* several targets: many.c opens each output */
	/* The output before the network: an uncreatable file fails at once. */
	r->doing = "opening the output";
	if (sink_open(&r->sink, r->o.output, r->err, sizeof(r->err)) != 0)
		return run_finish(r, SRECV_EOUTPUT);
	r->sink_open = 1;
	r->sink.interrupted = r->stop ? r->stop : r->signo;
	if (r->o.verbose && sink_part_is_unique(&r->sink))
		say("%s.part is not ours to write (a link, another user's file, or in use): "
		    "writing to %s", r->sink.path, r->sink.part);
	/* A security warning, not chatter: -q keeps it (the record says it
	 * too, as tls.verify, when stderr is the record's). */
	if (r->o.insecure && !r->o.stderr_record)
		say("warning: --insecure: the server's certificate is not verified");
	if (opts_keylog(&r->o) != NULL && !r->o.quiet)
		say("warning: writing TLS secrets to %s", opts_keylog(&r->o));
	r->conn = srecv_conn_new(r->cfg);
	if (r->conn == NULL)
		return fail(r, SRECV_EINTERNAL, "internal error: out of memory");
	r->doing = "opening --session";
	if (prepare_session(r, 0) != 0)
		return run_finish(r, SRECV_EUSAGE);
	return RUN_GO;
}

int run_rewind_send(struct run *r)
{
	if (r->send_fd < 0)
		return 0;
	/* Standard input may have been read from elsewhere than its start. */
	if (r->send_fd == STDIN_FILENO)
		return -1;
	return lseek(r->send_fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

int run_new_conn(struct run *r)
{
	srecv_conn_free(r->conn);
	r->conn = srecv_conn_new(r->cfg);
	if (r->conn == NULL) {
		snprintf(r->err, sizeof(r->err), "internal error: out of memory");
		return -1;
	}
	if (prepare_session(r, 1) != 0)
		return -1;
	return 0;
}

/* What -v and --info-json show: the library's record, except that with a
 * proxy and --connect-to they keep HOST:PORT asked for, as without one. */
static const srecv_info *shown_info(const struct run *r, srecv_info *copy)
{
	const srecv_info *in = r->conn ? srecv_conn_info(r->conn) : NULL;

	if (in == NULL || !r->proxied_to)
		return in;
	*copy = *in;
	copy->host = r->o.host;
	copy->port = r->o.port;
	return copy;
}

void run_connected(struct run *r)
{
	srecv_info copy;
	const srecv_cert_info **chain;
	char *out = NULL;
	size_t len = 0, n;
	FILE *m;

	save_chain(r);
	if (!r->o.verbose)
		return;
	/* Rendered first, written at once: the block never interleaves. */
	m = open_memstream(&out, &len);
	if (m == NULL)
		return;
	chain = report_chain(r->conn, &n);
	report_address(m, shown_info(r, &copy));
	if (r->dialogue != NULL && fflush(r->dialogue) == 0 && r->dialogue_len > 0) {
		fprintf(m, "* STARTTLS (%s)\n", srecv_conn_info(r->conn)->starttls);
		fwrite(r->dialogue_buf, 1, r->dialogue_len, m);
	}
	report_tls(m, shown_info(r, &copy), chain, n);
	free(chain);
	if (fclose(m) == 0)
		fwrite(out, 1, len, stderr);
	free(out);
}

/* The data goes to the terminal stderr is on (the meter would tear it). */
static int stdout_is_stderr_tty(void)
{
	struct stat out, err;

	return isatty(STDOUT_FILENO) && fstat(STDOUT_FILENO, &out) == 0 &&
	       fstat(STDERR_FILENO, &err) == 0 && out.st_rdev == err.st_rdev;
}

/* A signal or the --max-time deadline has come: stop blocking. */
static int stopped(const struct run *r)
{
	return (r->signo && *r->signo) || (r->timed_out && *r->timed_out);
}

static srecv_status send_file(struct run *r)
{
	srecv_status st;
	ssize_t n;

	for (;;) {
		r->doing = "reading --send-file";
		n = read(r->send_fd, r->buf, RUN_BUF_SIZE);
		if (n < 0 && errno == EINTR && !stopped(r))
			continue;
		if (n < 0 && errno == EINTR)
			return SRECV_ECANCELED;
		if (n < 0) {
			snprintf(r->err, sizeof(r->err), "--send-file: cannot read '%s': %s",
				 r->o.send_file, strerror(errno));
			return SRECV_EUSAGE;
		}
		if (n == 0)
			return SRECV_OK;
		r->doing = "sending";
		st = srecv_send(r->conn, r->buf, (size_t)n);
		if (st != SRECV_OK)
			return st;
	}
}

srecv_status run_send(struct run *r)
{
	srecv_status st = SRECV_OK;

	r->doing = "sending";
	if (r->o.have_send && r->o.send_len > 0)
		st = srecv_send(r->conn, r->o.send_data, r->o.send_len);
	else if (r->send_fd >= 0)
		st = send_file(r);
	if (st == SRECV_OK)
		progress_start(&r->progress, stderr,
			       opts_progress(&r->o, isatty(STDERR_FILENO), stdout_is_stderr_tty()),
			       r->o.have_max_bytes ? r->o.max_bytes : 0);
	return st;
}

size_t run_want(const struct run *r)
{
	if (r->o.have_max_bytes && r->left < RUN_BUF_SIZE)
		return (size_t)r->left;
	return RUN_BUF_SIZE;
}

/* n more bytes reached the output: --max-bytes and the meter follow. */
static void delivered(struct run *r, size_t n)
{
	if (r->o.have_max_bytes)
		r->left -= n;
	if (n > 0)
		progress_update(&r->progress, r->sink.written);
}

/* The output failed with errnum (the reason already in r->err). */
static srecv_status output_failed(struct run *r, int errnum)
{
	/* `srecv ... | head -c 10`: the reader is done, not an error to shout
	 * about; the exit code still says the data did not all go. */
	r->quiet_fail = errnum == EPIPE && r->sink.path == NULL && !r->sink.device;
	return SRECV_EOUTPUT;
}

srecv_status run_write(struct run *r, const void *buf, size_t n)
{
	int errnum = 0;

	r->doing = "writing output";
	if (sink_write(&r->sink, buf, n, &errnum, r->err, sizeof(r->err)) != 0)
		return errnum == EINTR ? SRECV_ECANCELED : output_failed(r, errnum);
	r->doing = "receiving";
	delivered(r, n);
	return SRECV_OK;
}

srecv_status run_spliced(struct run *r, srecv_status st, size_t n, int errnum)
{
	r->sink.written += n;
	delivered(r, n);
	if (st != SRECV_EOUTPUT)
		return st;
	sink_write_error(&r->sink, errnum, r->err, sizeof(r->err));
	return output_failed(r, errnum);
}

/* The --info-json record, rendered first and written at once. Returns 0, or
 * -1 with errno when it could not be written. */
static int write_info(struct run *r, int code)
{
	srecv_info copy;
	const srecv_info *in = shown_info(r, &copy);
	double total_ms = (double)(progress_now_ns() - r->start_ns) / 1e6;
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	int rc = -1, e = ENOMEM;

	if (m != NULL) {
		size_t n;
		const srecv_cert_info **chain = report_chain(r->conn, &n);

		report_json(m, in, chain, n, r->o.tls, r->o.host, r->o.port, code, r->err,
			    total_ms);
		free(chain);
		if (fclose(m) == 0) {
			errno = 0;
			if (fwrite(out, 1, len, r->info) == len && fflush(r->info) == 0)
				rc = 0;
			e = errno ? errno : EIO;
		}
	}
	free(out);
	if (r->info != stderr) {
		if (fclose(r->info) != 0 && rc == 0) {
			rc = -1;
			e = errno;
		}
		/* The record is complete: only now does it replace FILE. */
		if (rc == 0 && r->info_sink_open) {
			char why[256];

			if (sink_commit(&r->info_sink, why, sizeof(why)) != 0) {
				rc = -1;
				e = errno;
			}
		}
	}
	r->info = NULL;
	errno = e;
	return rc;
}

/* The signal that ended the run, or 0. A cancel without a recorded signal
 * cannot happen (only the handler writes the pipe); SIGINT then. */
static int ending_signal(const struct run *r, srecv_status st)
{
	int sig = r->signo ? (int)*r->signo : 0;

	if (sig == 0 && st == SRECV_ECANCELED)
		sig = SIGINT;
	return sig;
}

/* A run that failed once the --max-time deadline had passed (the timer's
 * cancel, an interrupted open, read or write) failed by timing out: say
 * where it was. A blocked splice(2) does not say whether it waited for the
 * network or the output: an output that takes no bytes now is the one. */
static srecv_status max_time_status(struct run *r, srecv_status st)
{
	struct pollfd p = {.fd = r->sink.fd, .events = POLLOUT};
	const char *doing = r->doing ? r->doing : "starting";
	char secs[32];

	if (st == SRECV_OK || !r->timed_out || !*r->timed_out || (r->signo && *r->signo))
		return st;
	if (strcmp(doing, "receiving") == 0 && r->sink_open && p.fd >= 0 && poll(&p, 1, 0) == 0)
		doing = "writing output";
	/* SEC as given, not %g's 3.6e+03: whole seconds, else up to ms */
	snprintf(secs, sizeof(secs), "%ld.%03ld", r->o.total_ms / 1000, r->o.total_ms % 1000);
	while (secs[strlen(secs) - 1] == '0')
		secs[strlen(secs) - 1] = '\0';
	if (secs[strlen(secs) - 1] == '.')
		secs[strlen(secs) - 1] = '\0';
	snprintf(r->err, sizeof(r->err), "timeout: run exceeded %s s (--max-time) while %s", secs,
		 doing);
	r->quiet_fail = 0;
	return SRECV_ETIMEOUT;
}

int run_finish(struct run *r, srecv_status st)
{
	const srecv_info *in = r->conn ? srecv_conn_info(r->conn) : NULL;
	size_t used;
	int code, sig;

	st = max_time_status(r, st);
	sig = ending_signal(r, st);

	progress_end(&r->progress, r->sink.written); /* before any message */
	if (st != SRECV_OK && r->err[0] == '\0') {
		snprintf(r->err, sizeof(r->err), "%s",
			 r->conn && *srecv_error(r->conn) ? srecv_error(r->conn)
							   : srecv_status_str(st));
		add_hint_advice(r, r->conn ? srecv_conn_hint(r->conn) : SRECV_HINT_NONE);
		/* The library's words for the expiry limit name no flag. */
		if (st == SRECV_EVERIFY && in != NULL && in->verify != NULL &&
		    strcmp(in->verify, "expires within the minimum days") == 0) {
			used = strlen(r->err);
			snprintf(r->err + used, sizeof(r->err) - used, " (--min-days)");
		}
	}
	if (st == SRECV_ETRUNCATED && r->o.allow_truncation && in &&
	    in->eof_without_close_notify == 1 && sig == 0) {
		if (!r->o.quiet)
			say("warning: %s; accepted by --allow-truncation", r->err);
		r->err[0] = '\0';
		st = SRECV_OK;
	}
	/* A run that otherwise succeeded fails on a chain it could not save
	 * (-o's FILE.part is then kept, as for any failure). */
	if (st == SRECV_OK && r->chain_err[0] != '\0') {
		snprintf(r->err, sizeof(r->err), "%s", r->chain_err);
		r->chain_err[0] = '\0';
		st = SRECV_EOUTPUT;
	}
	code = (int)st;
	if (sig == 0)
		save_session(r);
	if (sig != 0) {
		/* Everything received is in the sink already: say so and leave. */
		snprintf(r->err, sizeof(r->err), "interrupted by %s",
			 sig == SIGTERM ? "SIGTERM" : "SIGINT");
		code = 128 + sig;
		r->quiet_fail = 0;
	}
	if (r->sink_open) {
		if (sink_finish(&r->sink, code == 0, r->err, sizeof(r->err)) < 0)
			code = SRECV_EOUTPUT;
	}
	if (r->o.verbose && in != NULL && in->connected)
		report_summary(stderr, in->bytes_received,
			       (double)(progress_now_ns() - r->start_ns) / 1e9);
	if (code != 0 && !r->quiet_fail && !r->o.stderr_record)
		say("%s", r->err);
	if (r->chain_err[0] != '\0' && !r->o.stderr_record)
		say("%s", r->chain_err); /* beside the failure that ended the run */
	if (r->info != NULL && write_info(r, code) != 0 && code == 0) {
		/* Only a run that otherwise succeeded reports it: a failed run
		 * has had its one line. */
		say("--info-json: write failed on '%s': %s", r->o.info_json, strerror(errno));
		code = SRECV_EOUTPUT;
	}
	return code;
}

void run_free(struct run *r)
{
	if (r->sink_open)
		sink_free(&r->sink);
	r->sink_open = 0;
	if (r->info != NULL && r->info != stderr)
		fclose(r->info);
	r->info = NULL;
	if (r->info_sink_open) {
		sink_abort(&r->info_sink); /* nothing written: the temporary goes */
		sink_free(&r->info_sink);
	}
	r->info_sink_open = 0;
	if (r->chain_sink_open) {
		sink_abort(&r->chain_sink);
		sink_free(&r->chain_sink);
	}
	r->chain_sink_open = 0;
	if (r->session_sink_open) {
		sink_abort(&r->session_sink); /* never saved: the temporary goes */
		sink_free(&r->session_sink);
	}
	r->session_sink_open = 0;
	if (r->send_fd > STDIN_FILENO)
		close(r->send_fd);
	r->send_fd = -1;
	srecv_conn_free(r->conn);
	r->conn = NULL;
	if (r->dialogue != NULL)
		fclose(r->dialogue);
	r->dialogue = NULL;
	free(r->dialogue_buf);
	r->dialogue_buf = NULL;
	srecv_config_free(r->cfg);
	r->cfg = NULL;
	free(r->buf);
	r->buf = NULL;
	opts_free(&r->o);
}

/* For many.c, which words each target's failure as run_finish does. */
void run_add_hint(struct run *r, srecv_hint hint)
{
	add_hint_advice(r, hint);
}

void run_say(const char *text)
{
	say("%s", text);
}
