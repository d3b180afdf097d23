/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nanoex-sock's way out (dpdk_apps/nanoex-sock/out.c) with real loopback
 * sockets. Regressions (session 13, from a review):
 * - the peer table's slot was the Fibonacci product mod 1024, i.e. the
 *   address's low 10 bits: clients in two /16s (10.1.0.5, 10.2.0.5) took
 *   each other's slot, and a reply left by the other port's socket;
 * - one datagram the kernel refused (to a client at port 0, which any host
 *   can send from) ended the batch, and every later reply of it was
 *   counted tx_full and lost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../dpdk_apps/nanoex-sock/sock.h"

/* A zeroed shard at its alignment (it holds cache-line-aligned members). */
static struct sock_shard *new_shard(void)
{
	struct sock_shard *s = aligned_alloc(_Alignof(struct sock_shard), sizeof(*s));

	assert_non_null(s);
	memset(s, 0, sizeof(*s));
	return s;
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void test_peer_table(void **state)
{
	struct sock_shard *s = new_shard();
	uint32_t same[SOCK_PEER_WAYS + 1], n = 0;

	(void)state;
	assert_non_null(s);
	s->fd[0] = 100;
	s->fd[1] = 101;
	s->nfd = 2;
	/* Addresses equal in their low 10 bits keep their own sockets. */
	sock_peer_learn(s, IP4(10, 1, 0, 5), 1);
	sock_peer_learn(s, IP4(10, 2, 0, 5), 0);
	assert_int_equal(sock_reply_fd(s, IP4(10, 1, 0, 5)), 101);
	assert_int_equal(sock_reply_fd(s, IP4(10, 2, 0, 5)), 100);
	/* A client that moves to the other socket: the latest one. */
	sock_peer_learn(s, IP4(10, 2, 0, 5), 1);
	assert_int_equal(sock_reply_fd(s, IP4(10, 2, 0, 5)), 101);
	/* Addresses with the same home slot: each of the ways holds one. */
	memset(s->peer, 0, sizeof(s->peer));
	uint32_t home = (IP4(10, 9, 0, 1) * 2654435761u) >> (32 - SOCK_PEERS_LOG2);
	for (uint32_t ip = IP4(10, 9, 0, 1); n < SOCK_PEER_WAYS + 1; ip++)
		if ((ip * 2654435761u) >> (32 - SOCK_PEERS_LOG2) == home)
			same[n++] = ip;
	for (uint32_t i = 0; i < SOCK_PEER_WAYS; i++)
		sock_peer_learn(s, same[i], 1);
	for (uint32_t i = 0; i < SOCK_PEER_WAYS; i++)
		assert_int_equal(sock_reply_fd(s, same[i]), 101);
	/* One more: it takes the home slot; the others stay where they are. */
	sock_peer_learn(s, same[SOCK_PEER_WAYS], 1);
	assert_int_equal(sock_reply_fd(s, same[SOCK_PEER_WAYS]), 101);
	assert_int_equal(sock_reply_fd(s, same[0]), 100); /* forgotten: the first socket */
	for (uint32_t i = 1; i < SOCK_PEER_WAYS; i++)
		assert_int_equal(sock_reply_fd(s, same[i]), 101);
	/* An unknown address, and a single socket: the first socket. */
	assert_int_equal(sock_reply_fd(s, IP4(192, 0, 2, 1)), 100);
	s->nfd = 1;
	assert_int_equal(sock_reply_fd(s, IP4(10, 1, 0, 5)), 100);
	free(s);
}

static int udp_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_refused_datagram_alone(void **state)
{
	struct sock_shard *s = new_shard();
	struct nx_out_dgram *d = calloc(4, sizeof(*d));
	uint16_t tx_port, rx_port;
	int rx;
	char buf[64];
	unsigned got = 0;

	(void)state;
	assert_true(s && d);
	s->fd[0] = udp_socket(&tx_port);
	s->nfd = 1;
	rx = udp_socket(&rx_port);
	s->out = (struct nx_out){ .d = d, .cap = 4, .n = 4 };
	for (unsigned i = 0; i < 4; i++) {
		d[i].to = (struct nx_addr){ .ip = IP4(127, 0, 0, 1), .port = i == 1 ? 0 : rx_port };
		d[i].len = 1;
		d[i].data[0] = (uint8_t)('a' + i);
	}
	sock_send_out(s);
	assert_int_equal(s->out.n, 0);
	assert_int_equal(s->io.tx_refused, 1);
	assert_int_equal(s->io.tx_full, 0);
	assert_int_equal(s->io.tx_pkts, 3);
	/* Regression (from a review): the bytes of the refused datagram were
	 * counted as sent, unlike nanoex (tx_bytes counts what left). */
	assert_int_equal(s->io.tx_bytes, 3);
	while (poll(&(struct pollfd){ .fd = rx, .events = POLLIN }, 1, 500) == 1 &&
	       recv(rx, buf, sizeof(buf), MSG_DONTWAIT) == 1) {
		assert_true(buf[0] == 'a' || buf[0] == 'c' || buf[0] == 'd');
		if (++got == 3)
			break;
	}
	assert_int_equal(got, 3);
	close(rx);
	close(s->fd[0]);
	free(d);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_table),
		cmocka_unit_test(test_refused_datagram_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
