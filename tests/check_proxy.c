/*
 * check_proxy.c - srecv through real proxies nobody here wrote: tinyproxy
 * (HTTP CONNECT, Basic auth, ConnectPort) and dante (SOCKS5, socks5h, RFC
 * 1929 user names), both installed by scripts/setup.sh and run as our own
 * processes; faults from a small in-test proxy; the environment variables;
 * the non-blocking API through a tunnel. Exact bytes, codes and lines.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"
#include "srecv.h"
#include "srt.h"

#define CA "--tls", "--cacert", srt_cert("ca.crt")
#define NOSUCH "srecv-test.invalid" /* RFC 6761: never resolves */
#define TP_USER "bob"
#define TP_PASS "s3cr3tpw" /* tinyproxy takes letters and digits only */
/* dante checks system users: one made in a private mount namespace */
#define DU_USER "srecvproxy"
#define DU_PASS_F "p@ss:w%%rd" /* p@ss:w%rd, as a printf format */
#define DU_PASS_URL "p%40ss%3Aw%25rd"
#define DU_PASS_URL_F "p%%40ss%%3Aw%%25rd"

static char line_buf[4][512];
static int line_i;

/* A formatted string in rotating buffers. */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
	char *b = line_buf[line_i++ % 4];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(line_buf[0]), f, ap);
	va_end(ap);
	return b;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	chmod(path, mode);
}

/* tinyproxy in the foreground on a free loopback port; auth: BasicAuth
 * bob; connect_port > 0: CONNECT only to that port (ConnectPort). */
static void tinyproxy(srt_testd *d, int auth, int connect_port)
{
	char conf[256], text[512];
	const char *argv[] = {"tinyproxy", "-d", "-c", conf, NULL};

	d->port = srt_free_port();
	snprintf(conf, sizeof(conf), "%s/tinyproxy-%d.conf", srt_tmpdir(), d->port);
	snprintf(text, sizeof(text),
		 "Port %d\nListen 127.0.0.1\nTimeout 30\nLogLevel Info\nMaxClients 20\n"
		 "%s%s%s",
		 d->port, auth ? "BasicAuth " TP_USER " " TP_PASS "\n" : "",
		 connect_port > 0 ? "ConnectPort " : "",
		 connect_port > 0 ? fmt("%d\n", connect_port) : "");
	write_file(conf, text, 0644);
	srt_server_start(d, argv, "Accepting connections");
}

/* dante (danted) on a free loopback port; username: socksmethod username,
 * checked against a passwd/shadow pair bind-mounted over the system's in
 * a mount namespace of its own (dante reads system users only). */
static void dante(srt_testd *d, int username)
{
	char conf[256], script[3072], text[1024], pw[256], sh[256];
	const char *argv[] = {"unshare", "-m", "sh", "-c", script, NULL};
	const char *plain[] = {"danted", "-f", conf, "-N", "1", NULL};

	d->port = srt_free_port();
	snprintf(conf, sizeof(conf), "%s/danted-%d.conf", srt_tmpdir(), d->port);
	snprintf(text, sizeof(text),
		 "logoutput: stderr\ninternal: 127.0.0.1 port = %d\nexternal: 127.0.0.1\n"
		 "clientmethod: none\nsocksmethod: %s\nuser.privileged: root\n"
		 "user.unprivileged: nobody\n"
		 "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n"
		 "socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }\n",
		 d->port, username ? "username" : "none");
	write_file(conf, text, 0644);
	if (!username) {
		srt_server_start(d, plain, "running");
		return;
	}
	snprintf(pw, sizeof(pw), "%s/passwd", srt_tmpdir());
	snprintf(sh, sizeof(sh), "%s/shadow", srt_tmpdir());
	/* The hash: openssl passwd -6, made here (the password has ':' and
	 * '%': what percent-encoding in the URL is for). */
	snprintf(script, sizeof(script),
		 "set -e; cat /etc/passwd > %s; "
		 "echo '" DU_USER ":x:64999:64999::/nonexistent:/usr/sbin/nologin' >> %s; "
		 "(cat /etc/shadow; printf '" DU_USER ":%%s:19000:0:99999:7:::\\n' "
		 "\"$(openssl passwd -6 '" DU_PASS_F "')\") > %s; chmod 600 %s; "
		 "mount --bind %s /etc/passwd; mount --bind %s /etc/shadow; "
		 "exec danted -f %s -N 1",
		 pw, pw, sh, sh, pw, sh, conf);
	srt_server_start(d, argv, "running");
}

static void serve_pattern(srt_testd *d, int tls, const char *bytes)
{
	if (tls)
		srt_testd_startl(d, "--tls", "--cert", srt_cert("good.chain.pem"), "--key",
				 srt_cert("good.key"), "--send-bytes", bytes, NULL);
	else
		srt_testd_startl(d, "--send-bytes", bytes, NULL);
}

/* ---------------------------------------------------------------------- */
/* A small fake proxy for the faults: one connection; for each reply in
 * turn it reads once (what the client sent), then sends the reply; then it
 * closes, or stalls until the client goes. */

struct fake {
	int lfd, port;
	const char *replies[4];
	size_t lens[4];
	int stall;
	pthread_t th;
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char buf[4096];
	int fd = accept(f->lfd, NULL, NULL), i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < 4 && f->replies[i] != NULL; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 5000) <= 0 || recv(fd, buf, sizeof(buf), 0) <= 0)
			break;
		if (send(fd, f->replies[i], f->lens[i], MSG_NOSIGNAL) < 0)
			break;
	}
	if (f->stall) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		while (poll(&p, 1, 10000) > 0 && recv(fd, buf, sizeof(buf), 0) > 0)
			;
	}
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int i;

	for (i = 0; i < 4 && f->replies[i] != NULL; i++)
		if (f->lens[i] == 0)
			f->lens[i] = strlen(f->replies[i]);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(f->lfd, 4), 0);
	ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&a, &len), 0);
	f->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->th, NULL);
	close(f->lfd);
}

/* ---------------------------------------------------------------------- */
/* tinyproxy: HTTP CONNECT */

/* Plain and TLS through tinyproxy: every byte, the proxy's address as the
 * one connected to, the target's name verified and sent as SNI. */
START_TEST(tinyproxy_plain_and_tls)
{
	srt_testd p, d;
	srt_result r;
	const char *url;

	tinyproxy(&p, 0, 0);
	url = fmt("http://127.0.0.1:%d", p.port);
	serve_pattern(&d, 0, "3M");
	srt_runl(&r, NULL, "--proxy", url, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	srt_assert_pattern(r.out, r.out_len, 3 << 20);
	srt_result_free(&r);
	/* the copy path too (no splice) */
	srt_runl(&r, &(srt_opts){.env = (const char *const[]){"SRECV_NO_SPLICE=1", NULL}},
		 "--proxy", url, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	srt_assert_pattern(r.out, r.out_len, 3 << 20);
	srt_result_free(&r);
	srt_testd_stop(&d);

	serve_pattern(&d, 1, "2M");
	srt_runl(&r, NULL, CA, "--proxy", url, "--info-json", "-", srt_addr("localhost", d.port),
		 NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	srt_assert_pattern(r.out, r.out_len, 2 << 20);
	ck_assert_msg(strstr(r.err, fmt("{\"host\":\"localhost\",\"port\":%d,\"address\":"
					 "\"127.0.0.1\",\"proxy\":{\"scheme\":\"http\",\"host\":"
					 "\"127.0.0.1\",\"port\":%d},\"exit_code\":0,",
					 d.port, p.port)) == r.err, "%s", r.err);
	ck_assert_msg(strstr(r.err, "\"tunnel\":") && strstr(r.err, "\"sni\":\"localhost\"") &&
		      strstr(r.err, "\"verify\":\"ok\""), "%s", r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, CA, "--proxy", url, "-v", srt_addr("localhost", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_msg(strstr(r.err, fmt("* Connected to proxy %s (127.0.0.1) in ", url)) &&
		      strstr(r.err, fmt("* Tunnel to localhost port %d through the proxy: ",
					d.port)) && strstr(r.err, "* SNI              localhost\n"),
		      "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_stop(&p);
}
END_TEST

/* The name verified is the target's, never the proxy's: a target whose
 * certificate is for another host fails verification (6). */
START_TEST(tinyproxy_tls_verifies_target)
{
	srt_testd p, d;
	srt_result r;

	tinyproxy(&p, 0, 0);
	srt_testd_startl(&d, "--tls", "--cert", srt_cert("wronghost.chain.pem"), "--key",
			 srt_cert("wronghost.key"), "--send", "x", NULL);
	srt_runl(&r, NULL, CA, "--proxy", fmt("http://localhost:%d", p.port),
		 srt_addr("localhost", d.port), NULL);
	srt_assert_error(&r, 6, "certificate verification failed at depth 0");
	ck_assert_msg(strstr(r.err, "localhost") != NULL, "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_stop(&p);
}
END_TEST

/* Basic auth: the right credentials (percent-encoded in the URL) pass;
 * none, or wrong ones, are 4 naming authentication; the password is in
 * no message, -v line or record. */
START_TEST(tinyproxy_basic_auth)
{
	srt_testd p, d;
	srt_result r;
	const char *good;
	char json[256];
	unsigned char *rec;
	size_t len;

	snprintf(json, sizeof(json), "%s/rec.json", srt_tmpdir());

	tinyproxy(&p, 1, 0);
	srt_testd_startl(&d, "--send", "through\\n", NULL);
	/* "s%33cr3tpw" is s3cr3tpw */
	good = fmt("http://" TP_USER ":s%%33cr3tpw@127.0.0.1:%d", p.port);
	srt_runl(&r, NULL, "--proxy", good, "-v", "--info-json", json,
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "through\n");
	rec = srt_slurp(json, &len);
	ck_assert_msg(!strstr(r.err, "cr3t") && !strstr((char *)rec, "cr3t") &&
		      !strstr(r.err, TP_USER) && !strstr((char *)rec, TP_USER), "%s%s", r.err, rec);
	free(rec);
	srt_result_free(&r);

	srt_runl(&r, NULL, "--proxy", fmt("http://127.0.0.1:%d", p.port),
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d requires authentication: 407 "
				    "Proxy Authentication Required (no user name and password "
				    "in the proxy URL)\n", p.port));
	srt_result_free(&r);

	srt_runl(&r, NULL, "--proxy", fmt("http://" TP_USER ":wr0ngpw@127.0.0.1:%d", p.port), "-v",
		 "--info-json", json, srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 4, "%d %s", r.code, r.err);
	/* tinyproxy answers wrong credentials with 401 */
	ck_assert_msg(strstr(r.err, fmt("srecv: proxy 127.0.0.1:%d authentication failed: 401 "
					"Unauthorized (user name or password refused)\n", p.port)),
		      "%s", r.err);
	rec = srt_slurp(json, &len);
	ck_assert_msg(!strstr(r.err, "wr0ngpw") && !strstr((char *)rec, "wr0ngpw"), "%s%s", r.err,
		      rec);
	free(rec);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_stop(&p);
}
END_TEST

/* A port tinyproxy does not allow (ConnectPort): its status line quoted. */
START_TEST(tinyproxy_refuses_port)
{
	srt_testd p, d;
	srt_result r;
	int allowed = srt_free_port();

	srt_testd_startl(&d, "--send", "x", NULL);
	tinyproxy(&p, 0, allowed == d.port ? allowed + 1 : allowed);
	srt_runl(&r, NULL, "--proxy", fmt("http://127.0.0.1:%d", p.port),
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d refused CONNECT to 127.0.0.1:%d: "
				    "403 Access violation\n", p.port, d.port));
	ck_assert_uint_eq(r.out_len, 0);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_stop(&p);
}
END_TEST

/* An IPv6 target goes into CONNECT in brackets ("[::1]:PORT"). */
START_TEST(tinyproxy_ipv6_target)
{
	srt_testd p, d;
	srt_result r;

	if (!srt_have_ipv6())
		return;
	tinyproxy(&p, 0, 0);
	srt_testd_startl(&d, "--listen", "::1", "--send", "over v6\\n", NULL);
	srt_runl(&r, NULL, "--proxy", fmt("http://127.0.0.1:%d", p.port),
		 fmt("[::1]:%d", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "over v6\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_stop(&p);
}
END_TEST

/* --connect-to through a proxy: the proxy is asked for HOST2:PORT2, TLS
 * verifies HOST, and the record keeps HOST:PORT (curl's meaning). */
START_TEST(tinyproxy_connect_to)
{
	srt_testd p, d;
	srt_result r;

	tinyproxy(&p, 0, 0);
	serve_pattern(&d, 1, "10K");
	srt_runl(&r, NULL, CA, "--proxy", fmt("http://127.0.0.1:%d", p.port), "--connect-to",
		 fmt("localhost:1:127.0.0.1:%d", d.port), "--info-json", "-", "localhost:1", NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	srt_assert_pattern(r.out, r.out_len, 10 << 10);
	ck_assert_msg(strstr(r.err, "{\"host\":\"localhost\",\"port\":1,\"address\":\"127.0.0.1\"") ==
			      r.err && strstr(r.err, "\"sni\":\"localhost\""), "%s", r.err);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_stop(&p);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* dante: SOCKS5 */

START_TEST(dante_socks5_and_socks5h)
{
	srt_testd p, d;
	srt_result r;
	static const char *const schemes[] = {"socks5", "socks5h"};
	int i;

	dante(&p, 0);
	serve_pattern(&d, 1, "1M");
	for (i = 0; i < 2; i++) {
		/* socks5h: the proxy resolves "localhost" */
		srt_runl(&r, NULL, CA, "--proxy", fmt("%s://127.0.0.1:%d", schemes[i], p.port),
			 "--info-json", "-", srt_addr("localhost", d.port), NULL);
		ck_assert_msg(r.code == 0, "%s: %s", schemes[i], r.err);
		srt_assert_pattern(r.out, r.out_len, 1 << 20);
		ck_assert_msg(strstr(r.err, fmt("\"proxy\":{\"scheme\":\"%s\",\"host\":\"127.0.0.1\","
						"\"port\":%d}", schemes[i], p.port)), "%s", r.err);
		srt_result_free(&r);
	}
	srt_testd_stop(&d);
	serve_pattern(&d, 0, "5M");
	srt_runl(&r, NULL, "--proxy", fmt("socks5h://127.0.0.1:%d", p.port),
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	srt_assert_pattern(r.out, r.out_len, 5 << 20);
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_stop(&p);
}
END_TEST

/* Unresolvable names: socks5h's proxy says so (3, naming the proxy);
 * socks5 finds out itself (3); a refused target is 4 with the reply. */
START_TEST(dante_resolve_and_refused)
{
	srt_testd p;
	srt_result r;
	int closed = srt_free_port();

	dante(&p, 0);
	srt_runl(&r, NULL, "--proxy", fmt("socks5h://127.0.0.1:%d", p.port), NOSUCH ":80", NULL);
	ck_assert_int_eq(r.code, 3);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d could not resolve '" NOSUCH "' "
				    "(SOCKS5 reply: host unreachable)\n", p.port));
	srt_result_free(&r);
	srt_runl(&r, NULL, "--proxy", fmt("socks5://127.0.0.1:%d", p.port), NOSUCH ":80", NULL);
	srt_assert_error(&r, 3, "srecv: cannot resolve '" NOSUCH "': ");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--proxy", fmt("socks5h://127.0.0.1:%d", p.port),
		 srt_addr("127.0.0.1", closed), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d could not connect to "
				    "127.0.0.1:%d: connection refused (SOCKS5 reply 5)\n", p.port,
				    closed));
	srt_result_free(&r);
	srt_testd_stop(&p);
}
END_TEST

/* RFC 1929 against dante's username method: the right user and password
 * (percent-encoded, holding '@', ':' and '%') pass; wrong or none are 4
 * naming authentication; the password shows nowhere. */
START_TEST(dante_username_auth)
{
	srt_testd p, d;
	srt_result r;

	dante(&p, 1);
	srt_testd_startl(&d, "--send", "socks ok\\n", NULL);
	srt_runl(&r, NULL, "--proxy", fmt("socks5://" DU_USER ":" DU_PASS_URL_F "@127.0.0.1:%d",
					  p.port), "-v", "--info-json", "-",
		 srt_addr("127.0.0.1", d.port), NULL);
	/* --info-json - with -v is refused: run the two apart */
	ck_assert_int_eq(r.code, 2);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--proxy", fmt("socks5://" DU_USER ":" DU_PASS_URL_F "@127.0.0.1:%d",
					  p.port), "-v", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "socks ok\n");
	ck_assert_msg(!strstr(r.err, "w%rd") && !strstr(r.err, DU_PASS_URL) &&
		      !strstr(r.err, DU_USER), "%s", r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--proxy", fmt("socks5://" DU_USER ":nope%%40@127.0.0.1:%d", p.port),
		 "--info-json", "-", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_msg(strstr(r.err, fmt("\"error\":\"proxy 127.0.0.1:%d authentication failed: "
					"user name or password refused (RFC 1929 status 1)\"",
					p.port)) && !strstr(r.err, "nope"), "%s", r.err);
	srt_result_free(&r);
	srt_runl(&r, NULL, "--proxy", fmt("socks5://127.0.0.1:%d", p.port),
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d requires authentication: it "
				    "accepts no connection without one (no user name and password "
				    "in the proxy URL)\n", p.port));
	srt_result_free(&r);
	srt_testd_stop(&d);
	srt_testd_stop(&p);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Faults */

START_TEST(proxy_unreachable)
{
	srt_result r;
	int port = srt_free_port();

	srt_runl(&r, NULL, "--proxy", fmt("http://127.0.0.1:%d", port), "localhost:443", NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: connection failed: proxy 127.0.0.1 port %d: "
				    "connection refused\n", port));
	srt_result_free(&r);
	srt_runl(&r, NULL, "--proxy", "socks5h://" NOSUCH ":1080", "localhost:443", NULL);
	srt_assert_error(&r, 3, "srecv: cannot resolve proxy '" NOSUCH "': ");
	srt_result_free(&r);
}
END_TEST

START_TEST(proxy_garbage)
{
	struct fake f = {.replies = {"SSH-2.0-OpenSSH_9.2\r\n"}};
	srt_result r;
	static char endless[10000];

	fake_start(&f);
	srt_runl(&r, NULL, "--proxy", fmt("http://127.0.0.1:%d", f.port), "localhost:443", NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d is not an HTTP proxy: it answered "
				    "CONNECT with 'SS'\n", f.port));
	srt_result_free(&r);
	fake_stop(&f);

	fake_start(&f);
	srt_runl(&r, NULL, "--proxy", fmt("socks5://127.0.0.1:%d", f.port), "127.0.0.1:443", NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d is not a SOCKS5 proxy: it answered "
				    "version 83\n", f.port));
	srt_result_free(&r);
	fake_stop(&f);

	/* a header without end: refused once the bound is reached */
	memset(endless, 'a', sizeof(endless));
	memcpy(endless, "HTTP/1.1 200 OK\r\nX: ", 21);
	f = (struct fake){.replies = {endless}, .lens = {sizeof(endless)}, .stall = 1};
	fake_start(&f);
	srt_runl(&r, NULL, "--proxy", fmt("http://127.0.0.1:%d", f.port), "localhost:443", NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d sent a reply header longer than "
				    "8192 bytes\n", f.port));
	srt_result_free(&r);
	fake_stop(&f);

	/* SOCKS5 "host unreachable" for an address: a failed connection (4) */
	f = (struct fake){.replies = {"\x05\x00", "\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00"},
			  .lens = {2, 10}};
	fake_start(&f);
	srt_runl(&r, NULL, "--proxy", fmt("socks5h://127.0.0.1:%d", f.port), "192.0.2.1:80", NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, fmt("srecv: proxy 127.0.0.1:%d could not connect to 192.0.2.1:80: "
				    "host unreachable (SOCKS5 reply 4)\n", f.port));
	srt_result_free(&r);
	fake_stop(&f);
}
END_TEST

/* A proxy that accepts and never answers, and one whose accept queue is
 * full (SYNs dropped: black-holed): 7 within --connect-timeout, saying
 * which part of the way took too long. */
START_TEST(proxy_stalls)
{
	struct fake f = {.stall = 1};
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	srt_result r;
	int lfd, fill[3], i;

	fake_start(&f);
	srt_runl(&r, NULL, "--proxy", fmt("http://127.0.0.1:%d", f.port), "--connect-timeout", "1",
		 "localhost:443", NULL);
	ck_assert_int_eq(r.code, 7);
	ck_assert_str_eq(r.err, fmt("srecv: timeout: proxy 127.0.0.1:%d did not open the tunnel "
				    "within 1 s (--connect-timeout)\n", f.port));
	ck_assert_msg(r.secs < 3, "%.2f s", r.secs);
	srt_result_free(&r);
	fake_stop(&f);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	for (i = 0; i < 3; i++) {
		struct timeval tv = {0, 200000};

		fill[i] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fill[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	srt_runl(&r, NULL, "--proxy", fmt("socks5://127.0.0.1:%d", ntohs(a.sin_port)),
		 "--connect-timeout", "0.5", "127.0.0.1:443", NULL);
	ck_assert_int_eq(r.code, 7);
	ck_assert_str_eq(r.err, fmt("srecv: timeout: connection to proxy 127.0.0.1:%d not "
				    "established within 0.5 s (--connect-timeout)\n",
				    ntohs(a.sin_port)));
	ck_assert_msg(r.secs < 3, "%.2f s", r.secs);
	srt_result_free(&r);
	for (i = 0; i < 3; i++)
		close(fill[i]);
	close(lfd);
}
END_TEST

/* Bytes the proxy sends right behind its 200 (a server that speaks first)
 * are the tunnel's: none is lost, spliced or copied. */
START_TEST(proxy_bytes_after_200)
{
	static const char reply[] = "HTTP/1.1 200 Connection established\r\n"
				    "Proxy-agent: fake\r\n\r\n220 banner\r\n\n\r\nafter";
	static const char *const env_copy[] = {"SRECV_NO_SPLICE=1", NULL};
	int i;

	for (i = 0; i < 2; i++) {
		struct fake f = {.replies = {reply}};
		srt_result r;

		fake_start(&f);
		srt_runl(&r, &(srt_opts){.env = i ? env_copy : NULL}, "--proxy",
			 fmt("http://127.0.0.1:%d", f.port), "example.net:25", NULL);
		ck_assert_msg(r.code == 0, "%s", r.err);
		ck_assert_uint_eq(r.out_len, 20);
		ck_assert_int_eq(memcmp(r.out, "220 banner\r\n\n\r\nafter", 20), 0);
		srt_result_free(&r);
		fake_stop(&f);
	}
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The environment, as curl reads it */

START_TEST(env_all_proxy_no_proxy)
{
	srt_testd d;
	srt_result r;
	int dead = srt_free_port();
	const char *all = fmt("ALL_PROXY=http://127.0.0.1:%d", dead);
	const char *lower = fmt("all_proxy=socks5://127.0.0.1:%d", dead);
	const char *refused = fmt("srecv: connection failed: proxy 127.0.0.1 port %d: connection "
				  "refused\n", dead);

	srt_testd_startl(&d, "--send", "direct\\n", NULL);
	/* ALL_PROXY is used: the dead proxy fails the run */
	srt_runl(&r, &(srt_opts){.env = (const char *const[]){all, NULL}},
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, refused);
	srt_result_free(&r);
	/* all_proxy first, as curl reads it */
	srt_runl(&r, &(srt_opts){.env = (const char *const[]){all, lower, NULL}}, "--info-json",
		 "-", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_msg(strstr(r.err, "\"scheme\":\"socks5\""), "%s", r.err);
	srt_result_free(&r);
	/* excluded: NO_PROXY by address, by domain, by network, by '*' */
	{
		static const char *const lists[] = {"NO_PROXY=127.0.0.1", "no_proxy=x, 127.0.0.0/8",
						    "NO_PROXY=*", "NO_PROXY=.localhost"};
		size_t i;

		for (i = 0; i < 4; i++) {
			srt_runl(&r, &(srt_opts){.env = (const char *const[]){all, lists[i], NULL}},
				 srt_addr(i == 3 ? "localhost" : "127.0.0.1", d.port), NULL);
			ck_assert_msg(r.code == 0, "%s: %s", lists[i], r.err);
			ck_assert_str_eq((char *)r.out, "direct\n");
			srt_result_free(&r);
		}
	}
	/* --noproxy overrides NO_PROXY; --noproxy '*' and --proxy '' turn it off */
	srt_runl(&r, &(srt_opts){.env = (const char *const[]){all, "NO_PROXY=127.0.0.1", NULL}},
		 "--noproxy", "example.net", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.err, refused);
	srt_result_free(&r);
	srt_runl(&r, &(srt_opts){.env = (const char *const[]){all, NULL}}, "--noproxy", "*",
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	srt_result_free(&r);
	srt_runl(&r, &(srt_opts){.env = (const char *const[]){all, NULL}}, "--proxy", "",
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	ck_assert_str_eq((char *)r.out, "direct\n");
	srt_result_free(&r);
	/* --noproxy applies to --proxy too */
	srt_runl(&r, NULL, "--proxy", fmt("http://127.0.0.1:%d", dead), "--noproxy", "127.0.0.1",
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_msg(r.code == 0, "%s", r.err);
	srt_result_free(&r);
	/* a bad URL is a usage error naming where it came from, never the
	 * credentials */
	srt_runl(&r, &(srt_opts){.env = (const char *const[]){"ALL_PROXY=ftp://u:pw1@h:1", NULL}},
		 srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: ALL_PROXY: proxy URL: scheme 'ftp' not supported (http, "
				"socks5 or socks5h)\n");
	srt_result_free(&r);
	srt_runl(&r, NULL, "--proxy", "http://u:pw1@h:99999", srt_addr("127.0.0.1", d.port), NULL);
	ck_assert_int_eq(r.code, 2);
	ck_assert_str_eq(r.err, "srecv: --proxy: proxy URL: port must be 1 to 65535\n");
	srt_result_free(&r);
	srt_testd_stop(&d);
}
END_TEST

START_TEST(noproxy_matching)
{
	ck_assert_int_eq(proxy_excluded("*", "example.net"), 1);
	ck_assert_int_eq(proxy_excluded("example.net", "example.net"), 1);
	ck_assert_int_eq(proxy_excluded("example.net", "www.EXAMPLE.net"), 1);
	ck_assert_int_eq(proxy_excluded(".example.net", "example.net"), 1);
	ck_assert_int_eq(proxy_excluded("example.net", "badexample.net"), 0);
	ck_assert_int_eq(proxy_excluded(" a.b ,\texample.net ", "example.net"), 1);
	ck_assert_int_eq(proxy_excluded("10.0.0.0/8", "10.1.2.3"), 1);
	ck_assert_int_eq(proxy_excluded("10.0.0.0/8", "11.1.2.3"), 0);
	ck_assert_int_eq(proxy_excluded("::1", "::1"), 1);
	ck_assert_int_eq(proxy_excluded("[::1]", "::1"), 1);
	ck_assert_int_eq(proxy_excluded("fe80::/10", "fe80::1"), 1);
	ck_assert_int_eq(proxy_excluded("127.0.0.1", "localhost"), 0);
	ck_assert_int_eq(proxy_excluded("*.example.net", "a.example.net"), 0);
	ck_assert_int_eq(proxy_excluded("", "example.net"), 0);
}
END_TEST

/* The setter's checks, and the credentials kept out of its words. */
START_TEST(set_proxy_urls)
{
	static const struct {
		const char *url, *err;
	} bad[] = {
		{"ftp://h:1", "proxy URL: scheme 'ftp' not supported (http, socks5 or socks5h)"},
		{"https://h:1", "proxy URL: scheme 'https' not supported (http, socks5 or socks5h)"},
		{"http://h:0", "proxy URL: port must be 1 to 65535"},
		{"http://h:", "proxy URL: port must be 1 to 65535"},
		{"http://:1", "proxy URL: no host"},
		{"http://h h:1", "proxy URL: bad host name"},
		{"http://[::1:1", "proxy URL: bad IPv6 address"},
		{"http://h:1/path", "proxy URL: nothing may follow HOST:PORT but '/'"},
		{"http://u:se%2cret%zz@h:1", "proxy URL: password: bad percent-escape"},
		{"http://u%00:secret@h:1", "proxy URL: user name: a NUL byte"},
		{"http://:secret@h:1", "proxy URL: empty user name before '@'"},
		{"http://a%3Ab:secret@h:1", "proxy URL: an HTTP proxy's user name cannot hold ':'"},
	};
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(srecv_config_set_proxy(cfg, bad[i].url), SRECV_EUSAGE);
		ck_assert_str_eq(srecv_config_error(cfg), bad[i].err);
		ck_assert_ptr_null(strstr(srecv_config_error(cfg), "secret"));
	}
	ck_assert_int_eq(srecv_config_set_proxy(cfg, "Socks5H://u:secret@[::1]/"), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_proxy(cfg, NULL), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_proxy(cfg, "proxy.example:3128"), SRECV_OK);
	/* the record: scheme, host and port only; the dial goes to the proxy
	 * (which does not resolve), the error names it */
	ck_assert_int_eq(srecv_config_set_proxy(cfg, "socks5h://u:secret@" NOSUCH), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect(c, "example.net", "443"), SRECV_ERESOLVE);
	ck_assert_str_eq(srecv_conn_info(c)->proxy, "socks5h://" NOSUCH ":1080");
	ck_assert_str_eq(srecv_conn_info(c)->host, "example.net");
	ck_assert_msg(strncmp(srecv_error(c), "cannot resolve proxy '" NOSUCH "': ", 35) == 0, "%s",
		      srecv_error(c));
	ck_assert(srecv_conn_info(c)->tunnel_ms < 0);
	srecv_conn_free(c);
	/* frozen now */
	ck_assert_int_eq(srecv_config_set_proxy(cfg, NULL), SRECV_EUSAGE);
	srecv_config_free(cfg);
}
END_TEST

/* The non-blocking API through a real proxy: every step returns
 * SRECV_WANT_* instead of waiting; TLS through tinyproxy and dante, every
 * byte. srecv_connect_socket refuses a config with a proxy. */
static void nonblocking_through(const char *url, int port)
{
	srecv_config *cfg = srecv_config_new();
	srecv_conn *c;
	static unsigned char buf[1 << 20];
	size_t got = 0, n = 0;
	char portstr[16];
	int connected = 0, wants = 0;
	srecv_status st;

	snprintf(portstr, sizeof(portstr), "%d", port);
	ck_assert_int_eq(srecv_config_set_tls(cfg, 1), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_ca_file(cfg, srt_cert("ca.crt")), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_proxy(cfg, url), SRECV_OK);
	ck_assert_int_eq(srecv_config_set_connect_timeout(cfg, 10000), SRECV_OK);
	c = srecv_conn_new(cfg);
	srecv_config_free(cfg);
	srecv_conn_set_nonblocking(c, 1);
	for (;;) {
		st = connected ? srecv_recv(c, buf + got, sizeof(buf) - got, &n)
			       : srecv_connect(c, "localhost", portstr);
		if (st == SRECV_WANT_POLLIN || st == SRECV_WANT_POLLOUT) {
			struct pollfd fds[SRECV_POLLFD_MAX];
			int timeout;
			size_t nfds = srecv_conn_pollfds(c, fds, SRECV_POLLFD_MAX, &timeout);

			wants += !connected;
			ck_assert_uint_ge(nfds, 1);
			poll(fds, nfds, timeout < 0 || timeout > 10000 ? 10000 : timeout);
			continue;
		}
		ck_assert_msg(st == SRECV_OK, "%s", srecv_error(c));
		if (connected && n == 0)
			break;
		if (connected)
			got += n;
		connected = 1;
	}
	srt_assert_pattern(buf, got, 300000);
	ck_assert_int_ge(wants, 1); /* the proxy's answer cannot be there at once */
	ck_assert(srecv_conn_info(c)->tunnel_ms >= 0 && srecv_conn_info(c)->handshake_ms >= 0);
	ck_assert_str_eq(srecv_conn_info(c)->address, "127.0.0.1");
	ck_assert_str_eq(srecv_conn_info(c)->host, "localhost");
	srecv_close(c);
	srecv_conn_free(c);
}

START_TEST(nonblocking_api)
{
	srt_testd tp, da, d;
	srecv_config *cfg;
	srecv_conn *c;

	tinyproxy(&tp, 0, 0);
	dante(&da, 0);
	serve_pattern(&d, 1, "300000");
	nonblocking_through(fmt("http://127.0.0.1:%d", tp.port), d.port);
	nonblocking_through(fmt("socks5h://127.0.0.1:%d", da.port), d.port);
	srt_testd_stop(&d);
	srt_testd_stop(&da);
	srt_testd_stop(&tp);

	cfg = srecv_config_new();
	ck_assert_int_eq(srecv_config_set_proxy(cfg, "http://127.0.0.1:1"), SRECV_OK);
	c = srecv_conn_new(cfg);
	ck_assert_int_eq(srecv_connect_socket(c, 0, "x"), SRECV_EUSAGE);
	ck_assert_str_eq(srecv_error(c), "connect failed: the configuration has a proxy; connect "
					 "with srecv_connect, or give a socket without one");
	srecv_conn_free(c);
	srecv_config_free(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("proxy");
	int rc;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tinyproxy_plain_and_tls);
	tcase_add_test(tc, tinyproxy_tls_verifies_target);
	tcase_add_test(tc, tinyproxy_basic_auth);
	tcase_add_test(tc, tinyproxy_refuses_port);
	tcase_add_test(tc, tinyproxy_connect_to);
	tcase_add_test(tc, tinyproxy_ipv6_target);
	tcase_add_test(tc, dante_socks5_and_socks5h);
	tcase_add_test(tc, dante_resolve_and_refused);
	tcase_add_test(tc, dante_username_auth);
	tcase_add_test(tc, proxy_unreachable);
	tcase_add_test(tc, proxy_garbage);
	tcase_add_test(tc, proxy_stalls);
	tcase_add_test(tc, proxy_bytes_after_200);
	tcase_add_test(tc, env_all_proxy_no_proxy);
	tcase_add_test(tc, noproxy_matching);
	tcase_add_test(tc, set_proxy_urls);
	tcase_add_test(tc, nonblocking_api);
	suite_add_tcase(s, tc);
	rc = srt_run_suite(s);
	srt_tmpdir_cleanup();
	return rc;
}
