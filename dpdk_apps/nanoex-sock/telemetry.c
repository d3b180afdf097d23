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
static volatile int g_client = -1; /* the client being served, to unblock at stop */
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

/* Copy at most n bytes of v into out[cap] as a JSON string's content: our
 * strings are names and numbers, so quotes, backslashes and control
 * characters are dropped rather than escaped. Returns out. */
static char *json_clean(char *out, size_t cap, const char *v, size_t n)
{
	size_t k = 0;
	for (; n && *v && k < cap - 1; v++, n--)
		if (*v != '"' && *v != '\\' && (unsigned char)*v >= 0x20)
			out[k++] = *v;
	out[k] = 0;
	return out;
}

static void put_str(void *ctx, const char *key, const char *v)
{
	char clean[256];
	put(ctx, key, json_clean(clean, sizeof(clean), v, SIZE_MAX), 1);
}

static void answer(struct sock_app *a, int fd, const char *req)
{
	static struct json j;
	char cmd[128], pclean[128];
	const char *params = strchr(req, ',');
	/* what is echoed into the answer is cleaned: a quote in a request
	 * used to make the answer invalid JSON */
	json_clean(cmd, sizeof(cmd), req, params ? (size_t)(params - req) : SIZE_MAX);
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
				       json_clean(pclean, sizeof(pclean), params ? params : "", SIZE_MAX),
				       help ? help : "unknown command");
	} else if (!strcmp(cmd, "/info")) {
		j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"/info\": {\"version\": \"nanoex-sock\", "
				       "\"pid\": %d, \"max_output_len\": %d}}", (int)getpid(), MAX_OUTPUT);
	} else {
		struct ctl_writer w = { put_u64, put_i64, put_str, &j };
		j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"%s\": {", cmd);
		int rc = ctl_run(&a->ctl, cmd, params, &w, sock_now_ns());
		if (rc == -ENOENT)
			j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"%s\": null}", cmd);
		else if (j.n < sizeof(j.buf) - 2)
			j.n += (size_t)snprintf(j.buf + j.n, sizeof(j.buf) - j.n, "}}");
	}
	if (j.n >= sizeof(j.buf))
		j.n = (size_t)snprintf(j.buf, sizeof(j.buf), "{\"%s\": null}", cmd);
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
		char hello[128], req[1024];
		int n = snprintf(hello, sizeof(hello), "{\"version\": \"nanoex-sock\", \"pid\": %d, "
				 "\"max_output_len\": %d}", (int)getpid(), MAX_OUTPUT);
		if (send(fd, hello, (size_t)n, MSG_NOSIGNAL) < 0) {
			close(fd);
			continue;
		}
		ssize_t r;
		g_client = fd;
		while ((r = recv(fd, req, sizeof(req) - 1, 0)) > 0) {
			req[r] = 0;
			answer(a, fd, req);
		}
		g_client = -1;
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
	shutdown(g_listen, SHUT_RDWR);
	int c = g_client;
	if (c >= 0)
		shutdown(c, SHUT_RDWR);
	pthread_join(g_thread, NULL);
	close(g_listen);
	unlink(g_path);
	rmdir(g_dir); /* the prefix's directory, when nothing else is in it */
	g_listen = -1;
}
