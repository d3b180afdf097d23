/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The control commands of nanoex-sock on a Unix SOCK_SEQPACKET socket
 * that speaks DPDK telemetry v2, so operators use one tool, and one set
 * of commands, for both appliances: dpdk-telemetry.py -f <prefix>.
 *
 * The protocol, as DPDK 22.11 lib/telemetry implements it: on connect the
 * server sends {"version": ..., "pid": ..., "max_output_len": ...}; then
 * each packet from the client is a command, "/name" or "/name,params",
 * answered by one packet {"/name": <result>} (null for an unknown
 * command). "/" lists the commands and "/help,/name" gives a command's
 * help. One thread accepts and serves clients one at a time: this is an
 * operator's socket, not a data path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock.h"

#define MAX_OUTPUT 16384

static int g_listen = -1;
/* The client being served, to unblock at stop, and whether we stop: both
 * under g_lock, so that a client accepted from the backlog after the
 * listening socket was shut down is refused instead of served (a blocking
 * recv on it kept SIGTERM from ending the process while it stayed idle). */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_client = -1;
static int g_stopping;
static pthread_t g_thread;
static char g_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char g_dir[sizeof(g_path)]; /* its directory: <run>/dpdk/<prefix> */

struct json {
	char buf[MAX_OUTPUT];
	size_t n;
	int first;
};

/* One "key": value member; quoted: the value is a string. */
static void put(struct json *j, const char *key, const char *val, int quoted)
{
	if (j->n >= sizeof(j->buf))
		return;
	int k = snprintf(j->buf + j->n, sizeof(j->buf) - j->n, "%s\"%s\": %s%s%s",
			 j->first ? "" : ", ", key, quoted ? "\"" : "", val, quoted ? "\"" : "");
	j->n += k > 0 ? (size_t)k : 0;
	j->first = 0;
}

static void put_u64(void *ctx, const char *key, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	put(ctx, key, num, 0);
}

static void put_i64(void *ctx, const char *key, int64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%lld", (long long)v);
	put(ctx, key, num, 0);
}

/* The length of the well-formed UTF-8 sequence at v (at most n bytes), or
 * 0 if it is not one (RFC 3629: no overlong forms, no surrogates). */
static size_t utf8_len(const unsigned char *v, size_t n)
{
	size_t len = v[0] < 0x80 ? 1 : v[0] >= 0xc2 && v[0] <= 0xdf ? 2
		   : v[0] >= 0xe0 && v[0] <= 0xef ? 3 : v[0] >= 0xf0 && v[0] <= 0xf4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	unsigned char lo = v[0] == 0xe0 ? 0xa0 : v[0] == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = v[0] == 0xed ? 0x9f : v[0] == 0xf4 ? 0x8f : 0xbf;
	for (size_t i = 1; i < len; i++, lo = 0x80, hi = 0xbf)
		if (v[i] < lo || v[i] > hi)
			return 0;
	return len;
}

/* v into out[cap] as a JSON string's content: quotes and backslashes
 * escaped, control characters and bytes that are not UTF-8 as \u00XX,
 * never an escape or a character cut in half. Returns out. Strings are not
 * only names and numbers: the config path is any file name; dropping what
 * JSON cannot carry as is reported another path, and bytes that are not
 * UTF-8, passed raw, made the answer invalid JSON. */
static char *json_escape(char *out, size_t cap, const char *v)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t k = 0, m = strlen(v);
	for (size_t i = 0, len; i < m; i += len) {
		char e[8];
		size_t w;
		len = utf8_len(u + i, m - i);
		if (u[i] == '"' || u[i] == '\\') {
			e[0] = '\\', e[1] = (char)u[i], w = 2;
		} else if (u[i] < 0x20 || !len) {
			w = (size_t)snprintf(e, sizeof(e), "\\u%04x", u[i]);
			len = 1;
		} else {
			memcpy(e, u + i, len);
			w = len;
		}
		if (k + w >= cap)
			break;
		memcpy(out + k, e, w);
		k += w;
	}
	out[k] = 0;
	return out;
}

static void put_str(void *ctx, const char *key, const char *v)
{
	char esc[4096]; /* /nanoex/info's ports: 8 x 81 characters, 6 bytes each at worst */
	put(ctx, key, json_escape(esc, sizeof(esc), v), 1);
}

static void answer(struct sock_app *a, int fd, const char *req)
{
	static struct json j;
	char cmd[128], ecmd[768], pesc[768];
	const char *params = strchr(req, ',');
	size_t clen = params ? (size_t)(params - req) : strlen(req);
	/* the command as given, and as echoed into the answer: escaped (a
	 * quote in a request used to make the answer invalid JSON) */
	snprintf(cmd, sizeof(cmd), "%.*s", (int)(clen < sizeof(cmd) ? clen : sizeof(cmd) - 1), req);
	json_escape(ecmd, sizeof(ecmd), cmd);
	if (params)
		params++;
	j.n = 0;
	j.first = 1;
	if (!strcmp(cmd, "/")) {
		j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"/\": [\"/\", \"/help\", \"/info\"");
		for (const struct ctl_command *c = ctl_commands; c->name; c++)
			j.n += (size_t)snprintf(j.buf + j.n, sizeof(j.buf) - j.n, ", \"%s\"", c->name);
		j.n += (size_t)snprintf(j.buf + j.n, sizeof(j.buf) - j.n, "]}");
	} else if (!strcmp(cmd, "/help")) {
		const char *help = NULL;
		for (const struct ctl_command *c = ctl_commands; c->name; c++)
			if (params && !strcmp(params, c->name))
				help = c->help;
		j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"/help\": {\"%s\": \"%s\"}}",
				       json_escape(pesc, sizeof(pesc), params ? params : ""),
				       help ? help : "unknown command");
	} else if (!strcmp(cmd, "/info")) {
		j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"/info\": {\"version\": \"nanoex-sock\", "
				       "\"pid\": %d, \"max_output_len\": %d}}", (int)getpid(), MAX_OUTPUT);
	} else {
		struct ctl_writer w = { put_u64, put_i64, put_str, &j };
		j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"%s\": {", ecmd);
		int rc = ctl_run(&a->ctl, cmd, params, &w, sock_now_ns());
		if (rc == -ENOENT)
			j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"%s\": null}", ecmd);
		else if (j.n + 2 < sizeof(j.buf)) /* room for the "}}" and its NUL */
			j.n += (size_t)snprintf(j.buf + j.n, sizeof(j.buf) - j.n, "}}");
		else
			j.n = sizeof(j.buf); /* it could not be closed: too large, null */
	}
	if (j.n >= sizeof(j.buf))
		j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"%s\": null}", ecmd);
	if (send(fd, j.buf, j.n, MSG_NOSIGNAL) < 0)
		return;
}

static void *serve(void *arg)
{
	struct sock_app *a = arg;
	for (;;) {
		int fd = accept(g_listen, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return NULL; /* closed: stopping */
		}
		pthread_mutex_lock(&g_lock);
		if (g_stopping) {
			pthread_mutex_unlock(&g_lock);
			close(fd);
			return NULL;
		}
		g_client = fd;
		pthread_mutex_unlock(&g_lock);
		char hello[128], req[1024];
		int n = snprintf(hello, sizeof(hello), "{\"version\": \"nanoex-sock\", \"pid\": %d, "
				 "\"max_output_len\": %d}", (int)getpid(), MAX_OUTPUT);
		ssize_t r;
		if (send(fd, hello, (size_t)n, MSG_NOSIGNAL) >= 0)
			while ((r = recv(fd, req, sizeof(req) - 1, 0)) > 0) {
				req[r] = 0;
				answer(a, fd, req);
			}
		pthread_mutex_lock(&g_lock);
		g_client = -1;
		pthread_mutex_unlock(&g_lock);
		close(fd);
	}
}

int sock_telemetry_start(struct sock_app *a)
{
	char dir[sizeof(g_path)];
	const char *run = getenv("RUNTIME_DIRECTORY");
	if (!run)
		run = getuid() == 0 ? "/var/run" : getenv("XDG_RUNTIME_DIR") ? getenv("XDG_RUNTIME_DIR") : "/tmp";
	snprintf(dir, sizeof(dir), "%s/dpdk", run);
	mkdir(dir, 0700);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/dpdk/%s", run, a->prefix) >= sizeof(dir))
		return -ENAMETOOLONG;
	mkdir(dir, 0700);
	memcpy(g_dir, dir, sizeof(g_dir));
	if ((size_t)snprintf(g_path, sizeof(g_path), "%s/dpdk_telemetry.v2", dir) >= sizeof(g_path))
		return -ENAMETOOLONG;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, g_path, sizeof(g_path));
	g_listen = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (g_listen < 0)
		return -errno;
	/* A previous run's socket is replaced; a live one, another venue's
	 * with the same prefix, is not: taking it over left that venue without
	 * its control socket (its kill switches unreachable) and sent our
	 * operator's commands here. DPDK's telemetry makes the same check. */
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe >= 0 && (!connect(probe, (struct sockaddr *)&sa, sizeof(sa)) ||
			   errno == EAGAIN)) { /* EAGAIN: a live listener, its backlog full */
		close(probe);
		close(g_listen);
		g_listen = -1;
		fprintf(stderr, "nanoex-sock: control socket %s is in use by another process "
			"(--prefix NAME)\n", g_path);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	unlink(g_path); /* a previous run's */
	if (bind(g_listen, (struct sockaddr *)&sa, sizeof(sa)) || listen(g_listen, 4) ||
	    pthread_create(&g_thread, NULL, serve, a)) {
		int e = -errno;
		fprintf(stderr, "nanoex-sock: control socket %s: %s\n", g_path, strerror(-e));
		close(g_listen);
		g_listen = -1;
		return e;
	}
	printf("nanoex-sock: control socket %s (dpdk-telemetry.py -f %s)\n", g_path, a->prefix);
	return 0;
}

void sock_telemetry_stop(void)
{
	if (g_listen < 0)
		return;
	pthread_mutex_lock(&g_lock);
	g_stopping = 1;
	shutdown(g_listen, SHUT_RDWR);
	if (g_client >= 0)
		shutdown(g_client, SHUT_RDWR);
	pthread_mutex_unlock(&g_lock);
	pthread_join(g_thread, NULL);
	close(g_listen);
	unlink(g_path);
	rmdir(g_dir); /* the prefix's directory, when nothing else is in it */
	g_listen = -1;
}
