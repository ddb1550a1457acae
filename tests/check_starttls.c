/*
 * check_starttls.c - srecv --starttls against srecv-testd speaking each
 * protocol's server side: exact bytes after the upgrade, verification,
 * refusals and missing offers (5, the reply quoted), bounded and stalled
 * preambles (5, 7), the dialogue under -v, the info JSON field, usage, and
 * the library's non-blocking steps and trace hook through the STARTTLS layer.
 */
#define _GNU_SOURCE
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "srecv.h"
#include "srt.h"

#define GOOD "--tls", "--cert", srt_cert("good.chain.pem"), "--key", srt_cert("good.key")
#define CA "--cacert", srt_cert("ca.crt")

static const char *const protos[] = {"smtp", "lmtp", "imap", "pop3", "ftp",
				     "xmpp", "postgres", "ldap", "nntp", "sieve", "mysql"};
#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

START_TEST(every_protocol_exact_bytes)
{
	size_t i;

	for (i = 0; i < NPROTOS; i++) {
		srt_testd d;
		srt_result r;

		srt_testd_startl(&d, GOOD, "--starttls", protos[i], "--send-bytes", "300K",
				 "--count", "1", NULL);
		srt_runl(&r, NULL, "--starttls", protos[i], CA, srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 0, "%s: exit %d: %s", protos[i], r.code, r.err);
		srt_assert_pattern(r.out, r.out_len, 300 * 1024);
		ck_assert_str_eq(r.err, "");
		srt_result_free(&r);
		ck_assert_int_eq(srt_testd_stop(&d), 0);
	}
}
END_TEST

/* --send goes inside TLS once upgraded: testd reads it with SSL_read. */
START_TEST(send_after_upgrade)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--starttls", "imap", "--recv-line", "--echo", "--send",
			 "done\\n", NULL);
	srt_runl(&r, NULL, "--starttls", "imap", CA, "--send", "a3 NOOP\\r\\n",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "a3 NOOP\r\ndone\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(verification_after_upgrade)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--starttls", "smtp", "--send", "x", NULL);
	/* a CA that did not issue the server's certificate */
	srt_runl(&r, NULL, "--starttls", "smtp", "--cacert", srt_cert("other-ca.crt"),
		 srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 6, "certificate verification failed");
	srt_result_free(&r);
	/* the name verified is HOST (or --servername), as without STARTTLS */
	srt_runl(&r, NULL, "--starttls", "smtp", CA, "--servername", "wrong.example",
		 srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 6, "wrong.example");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

static void expect_failure(const char *proto, const char *fault, int code, const char *line)
{
	srt_testd d;
	srt_result r;
	char want[512];

	srt_testd_startl(&d, GOOD, "--starttls", proto, fault, "--send", "secret", NULL);
	srt_runl(&r, NULL, "--starttls", proto, CA, "--connect-timeout", "5",
		 srt_addr("localhost", d.port), NULL);
	snprintf(want, sizeof(want), "srecv: %s\n", line);
	ck_assert_msg(r.code == code, "%s %s: exit %d: %s", proto, fault, r.code, r.err);
	ck_assert_str_eq(r.err, want);
	ck_assert_uint_eq(r.out_len, 0);
	srt_result_free(&r);
	srt_testd_stop(&d);
}

START_TEST(refusal_quotes_the_reply)
{
	expect_failure("smtp", "--starttls-refuse", 5,
		       "server refused STARTTLS: 454 4.7.0 TLS not available");
	expect_failure("lmtp", "--starttls-refuse", 5,
		       "server refused STARTTLS: 454 4.7.0 TLS not available");
	expect_failure("imap", "--starttls-refuse", 5,
		       "server refused STARTTLS: a2 NO TLS not available");
	expect_failure("pop3", "--starttls-refuse", 5,
		       "server refused STARTTLS: -ERR TLS not available");
	expect_failure("ftp", "--starttls-refuse", 5, "server refused STARTTLS: 534 TLS not available");
	expect_failure("xmpp", "--starttls-refuse", 5,
		       "server refused STARTTLS: <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	expect_failure("postgres", "--starttls-refuse", 5, "server refused STARTTLS: N");
	expect_failure("ldap", "--starttls-refuse", 5,
		       "server refused STARTTLS: LDAP result 52 (unavailable): TLS not available");
	expect_failure("nntp", "--starttls-refuse", 5,
		       "server refused STARTTLS: 580 Can not initiate TLS negotiation");
	expect_failure("sieve", "--starttls-refuse", 5,
		       "server refused STARTTLS: NO \"TLS not available\"");
	/* MySQL cannot refuse once it offered: an error packet instead */
	expect_failure("mysql", "--starttls-refuse", 5,
		       "STARTTLS failed: server error 1130: Host is not allowed to connect");
}
END_TEST

START_TEST(not_offered_quotes_the_capabilities)
{
	expect_failure("smtp", "--starttls-nooffer", 5,
		       "server does not offer STARTTLS: 250-testd greets you; 250-PIPELINING; "
		       "250 8BITMIME");
	expect_failure("imap", "--starttls-nooffer", 5,
		       "server does not offer STARTTLS: * CAPABILITY IMAP4rev1 LOGINDISABLED");
	expect_failure("pop3", "--starttls-nooffer", 5, "server does not offer STARTTLS: TOP; UIDL");
	expect_failure("nntp", "--starttls-nooffer", 5,
		       "server does not offer STARTTLS: VERSION 2; READER");
	expect_failure("sieve", "--starttls-nooffer", 5,
		       "server does not offer STARTTLS: \"IMPLEMENTATION\" \"testd\"; \"SIEVE\" "
		       "\"fileinto\"; \"VERSION\" \"1.0\"");
	expect_failure("xmpp", "--starttls-nooffer", 5,
		       "server does not offer STARTTLS: <stream:features><mechanisms "
		       "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>"
		       "</mechanisms></stream:features>");
	expect_failure("mysql", "--starttls-nooffer", 5,
		       "server does not offer STARTTLS: MySQL 8.0.0-testd without CLIENT_SSL");
}
END_TEST

START_TEST(preamble_is_bounded)
{
	/* endless continuation lines: the 16 KiB bound, long before the
	 * connect deadline (5 s) */
	expect_failure("smtp", "--starttls-endless", 5,
		       "STARTTLS failed: the server sent 16384 bytes without letting TLS start");
	expect_failure("imap", "--starttls-endless", 5,
		       "STARTTLS failed: the server sent 16384 bytes without letting TLS start");
	/* XML that never completes the features: the element bound */
	expect_failure("xmpp", "--starttls-endless", 5,
		       "STARTTLS failed: the server's reply is longer than 8192 bytes");
	/* one line of 5000 bytes: the line bound */
	expect_failure("smtp", "--starttls-longline", 5,
		       "STARTTLS failed: the server's line is longer than 4096 bytes");
	expect_failure("pop3", "--starttls-longline", 5,
		       "STARTTLS failed: the server's line is longer than 4096 bytes");
}
END_TEST

START_TEST(broken_dialogue)
{
	srt_testd d;
	srt_result r;

	/* a close mid-line: what came is quoted */
	expect_failure("smtp", "--starttls-close", 5,
		       "STARTTLS failed: the server closed the connection after: 220-going away");
	/* the wrong protocol's greeting */
	srt_testd_startl(&d, GOOD, "--starttls", "pop3", NULL);
	srt_runl(&r, NULL, "--starttls", "imap", CA, srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 5);
	ck_assert_str_eq(r.err, "srecv: STARTTLS failed: unexpected reply: +OK testd POP3 ready\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
	/* a plain TLS server: the ClientHello is never sent, the greeting
	 * never comes */
	srt_testd_startl(&d, GOOD, "--send", "x", NULL);
	srt_runl(&r, NULL, "--starttls", "smtp", CA, "--connect-timeout", "0.5",
		 srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 7,
			 "timeout: STARTTLS (smtp) dialogue not finished within 0.5 s: the server "
			 "sent no greeting; one that speaks TLS at once needs no STARTTLS "
			 "(--connect-timeout)");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* What the connect deadline says when srecv-testd --starttls-stall stops
 * answering: smtp and xmpp stall after their greeting, ldap and postgres
 * never answer our first request, mysql after its greeting has no reply to
 * wait for (the TLS handshake stalls). */
static const char *fmt_stall(const char *proto)
{
	static char buf[512];

	if (strcmp(proto, "mysql") == 0)
		return "timeout: connection not established within 0.5 s (--connect-timeout)";
	snprintf(buf, sizeof(buf),
		 "timeout: STARTTLS (%s) dialogue not finished within 0.5 s%s (--connect-timeout)",
		 proto,
		 strcmp(proto, "ldap") == 0 || strcmp(proto, "postgres") == 0
			 ? ": the server did not answer"
			 : "");
	return buf;
}

START_TEST(stalled_preamble_times_out)
{
	const char *const which[] = {"smtp", "xmpp", "ldap", "postgres", "mysql"};
	size_t i;

	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		srt_testd d;
		srt_result r;

		srt_testd_startl(&d, GOOD, "--starttls", which[i], "--starttls-stall", NULL);
		srt_runl(&r, NULL, "--starttls", which[i], CA, "--connect-timeout", "0.5",
			 srt_addr("localhost", d.port), NULL);
		srt_assert_error(&r, 7, fmt_stall(which[i]));
		ck_assert_double_lt(r.secs, 5.0);
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

/* Bytes the server sends right after its go-ahead are TLS's, not the
 * layer's: a TLS alert sent there must reach the handshake. A layer that
 * read past the reply and dropped them would let the handshake succeed. */
START_TEST(bytes_after_go_ahead_reach_tls)
{
	const char *const which[] = {"smtp", "postgres", "ldap", "xmpp", "mysql"};
	size_t i;

	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		srt_testd d;
		srt_result r;

		/* alert record: fatal (2), handshake_failure (40) */
		srt_testd_startl(&d, GOOD, "--starttls", which[i], "--starttls-inject",
				 "\\x15\\x03\\x03\\x00\\x02\\x02\\x28", "--send", "secret", NULL);
		srt_runl(&r, NULL, "--starttls", which[i], CA, srt_addr("localhost", d.port), NULL);
		srt_assert_error(&r, 5, "alert");
		ck_assert_msg(strstr(r.err, "handshake failure") != NULL, "%s", r.err);
		ck_assert_uint_eq(r.out_len, 0);
		srt_result_free(&r);
		srt_testd_stop(&d);
	}
}
END_TEST

START_TEST(verbose_shows_the_escaped_dialogue)
{
	srt_testd d;
	srt_result r;
	const char *from;

	srt_testd_startl(&d, GOOD, "--starttls", "smtp", "--send", "data\\n", NULL);
	srt_runl(&r, NULL, "--starttls", "smtp", CA, "-v", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "data\n");
	from = strstr(r.err, "* STARTTLS (smtp)\n");
	ck_assert_msg(from != NULL, "%s", r.err);
	ck_assert_msg(strncmp(from, "* STARTTLS (smtp)\n"
				    "< 220 testd ESMTP ready\n"
				    "> EHLO [127.0.0.1]\n"
				    "< 250-testd greets you\n"
				    "< 250-PIPELINING\n"
				    "< 250-STARTTLS\n"
				    "< 250 8BITMIME\n"
				    "> STARTTLS\n"
				    "< 220 2.0.0 Ready to start TLS\n"
				    "* TLS handshake ",
			      strlen("* STARTTLS (smtp)\n< 220 testd ESMTP ready\n> EHLO [127.0.0.1]\n"
				     "< 250-testd greets you\n< 250-PIPELINING\n< 250-STARTTLS\n"
				     "< 250 8BITMIME\n> STARTTLS\n< 220 2.0.0 Ready to start TLS\n"
				     "* TLS handshake ")) == 0,
		      "%s", r.err);
	/* after the connection line */
	ck_assert_msg(strstr(r.err, "* Connected to localhost") != NULL &&
		      strstr(r.err, "* Connected to localhost") < from, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);

	/* a banner's control bytes are escaped; XMPP names the host in to= */
	srt_testd_startl(&d, GOOD, "--starttls", "ftp", "--send", "data\\n", NULL);
	srt_runl(&r, NULL, "--starttls", "ftp", CA, "-v", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "< 220-testd FTP \\x1b[31mserver\\x1b[0m\\x09ready\n"
				    "< 220 ready\n> AUTH TLS\n< 234 AUTH TLS successful\n") != NULL,
		      "%s", r.err);
	ck_assert_ptr_null(strchr(r.err, '\x1b'));
	ck_assert_str_eq((char *)r.out, "data\n");
	srt_result_free(&r);
	srt_testd_stop(&d);

	srt_testd_startl(&d, GOOD, "--starttls", "xmpp", "--send", "data\\n", NULL);
	srt_runl(&r, NULL, "--starttls", "xmpp", CA, "-v", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "> <?xml version='1.0'?><stream:stream to='localhost' ") != NULL,
		      "%s", r.err);
	ck_assert_msg(strstr(r.err, "> <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n"
				    "< <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n") != NULL,
		      "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

/* Without -v nothing of the dialogue is shown, and never in the output. */
START_TEST(dialogue_never_in_output)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--starttls", "pop3", "--send", "only this\\n", NULL);
	srt_runl(&r, NULL, "--starttls", "pop3", CA, srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_str_eq((char *)r.out, "only this\n");
	ck_assert_str_eq(r.err, "");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(info_json_names_the_protocol)
{
	srt_testd d;
	srt_result r;

	srt_testd_startl(&d, GOOD, "--starttls", "ldap", "--send", "x", NULL);
	srt_runl(&r, NULL, "--starttls", "ldap", CA, "--info-json", "-",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, "\"verify\":\"ok\"") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "],\"resumed\":false,\"ocsp\":null},\"starttls\":\"ldap\"}\n") !=
			      NULL,
		      "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	/* null without it, and after a refusal the field still says what ran */
	srt_testd_startl(&d, GOOD, "--send", "x", NULL);
	srt_runl(&r, NULL, "--tls", CA, "--info-json", "-", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
	ck_assert_msg(strstr(r.err, ",\"starttls\":null}\n") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_startl(&d, GOOD, "--starttls", "smtp", "--starttls-refuse", NULL);
	srt_runl(&r, NULL, "--starttls", "smtp", CA, "--info-json", "-",
		 srt_addr("localhost", d.port), NULL);
	ck_assert_int_eq(r.code, 5);
	ck_assert_msg(strstr(r.err, "\"exit_code\":5,\"error\":\"server refused STARTTLS: 454 4.7.0 "
				    "TLS not available\"") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, ",\"starttls\":\"smtp\"}\n") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(usage_unknown_protocol)
{
	srt_result r;

	srt_runl(&r, NULL, "--starttls", "nope", "localhost:25", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --starttls: unknown STARTTLS protocol 'nope' (known: smtp, "
				"lmtp, imap, pop3, ftp, xmpp, postgres, ldap, nntp, sieve, mysql)\n");
	srt_result_free(&r);
	/* --starttls implies --tls: TLS-only options are accepted with it */
	srt_runl(&r, NULL, "--starttls", "smtp", "--servername", "x", "--max-time", "0.001",
		 "--connect-to", "::127.0.0.1:1", "localhost:25", NULL);
	ck_assert_msg(r.code != 2, "%s", r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--starttls", "localhost:25", NULL);
	ck_assert_int_eq(r.code, 2);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--starttls", "", "localhost:25", NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --starttls: empty protocol name (see srecv --help)\n");
	srt_result_free(&r);
}
END_TEST

/* ---- the library, in process ------------------------------------------ */

struct trace_log {
	char text[4096];
};

static void trace_cb(void *arg, int sent, const char *data, size_t len)
{
	struct trace_log *t = arg;
	size_t o = strlen(t->text);

	snprintf(t->text + o, sizeof(t->text) - o, "%s%.*s\n", sent ? "> " : "< ", (int)len, data);
}

START_TEST(api_setter_and_trace)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;

	ck_assert_int_eq(srecv_config_set_starttls(cfg, "nope"), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_config_error(cfg), "unknown STARTTLS protocol 'nope' (known: smtp, "
						  "lmtp, imap, pop3, ftp, xmpp, postgres, ldap, "
						  "nntp, sieve, mysql)");
	ck_assert_int_eq(srecv_config_set_starttls(NULL, "smtp"), SRECV_EUSAGE);
	ck_assert_int_eq(srecv_config_set_trace(NULL, trace_cb, NULL), SRECV_EUSAGE);
	/* NULL and "" set none, and leave TLS as it was (off) */
	ck_assert_int_eq(srecv_config_set_starttls(cfg, NULL), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_starttls(cfg, ""), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_conn_info(c)->tls, 0);
	ck_assert_ptr_null(srecv_conn_info(c)->starttls);
	srecv_conn_free(c);
	/* a name in any case; implies TLS */
	ck_assert_int_eq(srecv_config_set_starttls(cfg, "SMTP"), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_conn_info(c)->tls, 1);
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

/* Non-blocking steps through the STARTTLS layer (and TLS over it on the
 * generic path): connect and receive in our own poll loop, WANT_* really
 * returned, the trace hook seeing each line. */
START_TEST(nonblocking_through_starttls)
{
	srt_testd d;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	struct trace_log log = {""};
	static unsigned char buf[65536], all[200 * 1024];
	size_t got = 0, n = 0;
	int wants = 0;
	srecv_status st;

	srt_testd_startl(&d, GOOD, "--starttls", "pop3", "--send-bytes", "200K", "--count", "1",
			 NULL);
	ck_assert_int_eq(srecv_config_set_starttls(cfg, "pop3"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_trace(cfg, trace_cb, &log), SRECV_OK);
	c = srecv_conn_new(cfg);
	srecv_config_free(cfg);
	ck_assert_int_eq(srecv_conn_set_nonblocking(c, 1), SRECV_OK);
	st = srecv_connect(c, "localhost", d.portstr);
	while (st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT) {
		struct pollfd pf[SRECV_POLLFD_MAX];
		int tmo;
		size_t k = srecv_conn_pollfds(c, pf, SRECV_POLLFD_MAX, &tmo);

		wants++;
		ck_assert_int_ge(poll(pf, k, tmo), 0);
		st = srecv_connect(c, NULL, NULL);
	}
	ck_assert_msg(st == SRECV_OK, "%d %s", st, srecv_error(c));
	/* at least the handshake's wait for the ServerHello (the plaintext
	 * replies may beat our reads on loopback) */
	ck_assert_int_gt(wants, 0);
	ck_assert_str_eq(log.text, "< +OK testd POP3 ready\n"
				   "> CAPA\n"
				   "< +OK capability list follows\n"
				   "< TOP\n< UIDL\n< STLS\n< .\n"
				   "> STLS\n"
				   "< +OK Begin TLS negotiation\n");
	ck_assert_str_eq(srecv_conn_info(c)->starttls, "pop3");
	ck_assert_str_eq(srecv_conn_info(c)->verify, "ok");
	for (;;) {
		st = srecv_recv(c, buf, sizeof(buf), &n);
		if (st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT) {
			struct pollfd pf[SRECV_POLLFD_MAX];
			int tmo;
			size_t k = srecv_conn_pollfds(c, pf, SRECV_POLLFD_MAX, &tmo);

			ck_assert_int_ge(poll(pf, k, tmo), 0);
			continue;
		}
		ck_assert_msg(st == SRECV_OK, "%d %s", st, srecv_error(c));
		if (n == 0)
			break;
		ck_assert_uint_le(got + n, sizeof(all));
		memcpy(all + got, buf, n);
		got += n;
	}
	srt_assert_pattern(all, got, 200 * 1024);
	ck_assert_uint_eq(srecv_conn_info(c)->bytes_received, 200 * 1024);
	srecv_close(c);
	srecv_conn_free(c);
	srt_testd_stop(&d);
}
END_TEST

/* The caller's own socket, upgraded by the library (blocking). */
START_TEST(connect_socket_with_starttls)
{
	srt_testd d;
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	char buf[64];
	size_t n = 0;
	int fd;
	struct sockaddr_in sa;

	srt_testd_startl(&d, GOOD, "--starttls", "nntp", "--send", "over nntp\\n", "--count", "1",
			 NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)d.port);
	sa.sin_addr.s_addr = htonl(0x7f000001);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(srecv_config_set_starttls(cfg, "nntp"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	c = srecv_conn_new(cfg);
	srecv_config_free(cfg);
	ck_assert_int_eq(srecv_connect_socket(c, fd, "localhost"), SRECV_OK);
	ck_assert_int_eq(srecv_recv(c, buf, sizeof(buf), &n), SRECV_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert(memcmp(buf, "over nntp\n", 10) == 0);
	srecv_close(c);
	srecv_conn_free(c);
	close(fd);
	srt_testd_stop(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("starttls");
	TCase *tc = tcase_create("starttls");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_protocol_exact_bytes);
	tcase_add_test(tc, send_after_upgrade);
	tcase_add_test(tc, verification_after_upgrade);
	tcase_add_test(tc, refusal_quotes_the_reply);
	tcase_add_test(tc, not_offered_quotes_the_capabilities);
	tcase_add_test(tc, preamble_is_bounded);
	tcase_add_test(tc, broken_dialogue);
	tcase_add_test(tc, stalled_preamble_times_out);
	tcase_add_test(tc, bytes_after_go_ahead_reach_tls);
	tcase_add_test(tc, verbose_shows_the_escaped_dialogue);
	tcase_add_test(tc, dialogue_never_in_output);
	tcase_add_test(tc, info_json_names_the_protocol);
	tcase_add_test(tc, usage_unknown_protocol);
	tcase_add_test(tc, api_setter_and_trace);
	tcase_add_test(tc, nonblocking_through_starttls);
	tcase_add_test(tc, connect_socket_with_starttls);
	suite_add_tcase(s, tc);
	return srt_run_suite(s);
}
