/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxgen's kernel-socket backend: one UDP socket per session, bound to an
 * ephemeral port (the venue binds a session to its source address) and
 * connected to the session's shard, so a socket only reads its venue. All
 * sockets sit in one epoll set; a poll is epoll_pwait2 (0 or a bounded
 * wait), then recvmmsg on each ready socket, each batch stamped with the
 * generator's clock right after recvmmsg returns. Sends are one send()
 * each (a socket per session: no batching across sessions). This is the
 * baseline path every DPDK number is compared with; it needs no privileges.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nxgen.h"

#define RXBUF 2048 /* the venue keeps datagrams within 1472 bytes */
#define SOCK_RCVBUF (4 << 20) /* room for a burst of replies to one session */

struct nxg_io {
	const struct nxg_clock *clk;
	int ep;
	uint32_t n, cap;
	int *fd;
	uint64_t refused, tx_err;
	uint8_t (*buf)[RXBUF];
	struct mmsghdr mm[NXG_RX_BURST];
	struct iovec iov[NXG_RX_BURST];
	struct epoll_event ev[NXG_RX_BURST];
};

static void sock_close(struct nxg_io *io)
{
	if (!io)
		return;
	for (uint32_t i = 0; i < io->n; i++)
		if (io->fd[i] >= 0)
			close(io->fd[i]);
	if (io->ep >= 0)
		close(io->ep);
	free(io->fd);
	free(io->buf);
	free(io);
}

static struct nxg_io *sock_open(const struct nxg_opts *o, const struct nxg_clock *clk, char *err,
				size_t errlen)
{
	struct nxg_io *io = calloc(1, sizeof(*io));
	(void)o;
	if (!io || !(io->fd = calloc(NXG_MAX_SESSIONS, sizeof(int))) ||
	    !(io->buf = calloc(NXG_RX_BURST, RXBUF))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	io->clk = clk;
	io->cap = NXG_MAX_SESSIONS;
	if ((io->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		goto fail;
	}
	return io;
fail:
	if (io)
		io->ep = -1;
	sock_close(io);
	return NULL;
}

static int sock_session(struct nxg_io *io, uint32_t idx, uint32_t ip, uint16_t port, char *err,
			size_t errlen)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(ip) };
	int rcv = SOCK_RCVBUF;
	if (idx != io->n || idx >= io->cap) {
		snprintf(err, errlen, "session %u out of order", idx);
		return -EINVAL;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof(any)) ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		int e = errno;
		snprintf(err, errlen, "session %u: socket to %u.%u.%u.%u:%u: %s", idx, ip >> 24,
			 ip >> 16 & 255, ip >> 8 & 255, ip & 255, port, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)); /* best effort: capped by rmem_max */
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = idx };
	if (epoll_ctl(io->ep, EPOLL_CTL_ADD, fd, &ev)) {
		int e = errno;
		snprintf(err, errlen, "epoll_ctl: %s", strerror(e));
		close(fd);
		return -e;
	}
	io->fd[io->n++] = fd;
	return 0;
}

static unsigned sock_send(struct nxg_io *io, const struct nxg_tx *tx, unsigned n)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++) {
		int fd = io->fd[tx[i].sess];
		for (int tries = 0; tries < 2; tries++) {
			if (send(fd, tx[i].data, tx[i].len, MSG_DONTWAIT) == (ssize_t)tx[i].len) {
				ok++;
				break;
			}
			if (errno != ECONNREFUSED) { /* that one reports an earlier datagram: retry */
				io->tx_err++;
				break;
			}
			io->refused++;
		}
	}
	return ok;
}

static unsigned sock_poll(struct nxg_io *io, struct nxg_rx *rx, unsigned cap, uint64_t wait_ns)
{
	struct timespec ts = { (time_t)(wait_ns / 1000000000u), (long)(wait_ns % 1000000000u) };
	int k = epoll_pwait2(io->ep, io->ev, (int)(cap < NXG_RX_BURST ? cap : NXG_RX_BURST), &ts, NULL);
	unsigned got = 0;
	for (int e = 0; e < k && got < cap; e++) {
		uint32_t idx = io->ev[e].data.u32;
		unsigned want = cap - got;
		for (unsigned i = 0; i < want; i++) {
			io->iov[i] = (struct iovec){ io->buf[got + i], RXBUF };
			io->mm[i].msg_hdr = (struct msghdr){ .msg_iov = &io->iov[i], .msg_iovlen = 1 };
		}
		int r = recvmmsg(io->fd[idx], io->mm, want, MSG_DONTWAIT, NULL);
		if (r <= 0) {
			if (r < 0 && errno == ECONNREFUSED)
				io->refused++;
			continue;
		}
		uint64_t now = nxg_now(io->clk);
		for (int i = 0; i < r; i++) {
			rx[got] = (struct nxg_rx){ .sess = idx, .len = io->mm[i].msg_len,
						   .data = io->buf[got], .ts_ns = now };
			got++;
		}
	}
	return got;
}

static void sock_facts(struct nxg_io *io, FILE *f)
{
	fprintf(f, "io.backend: sock (kernel UDP, one socket per session, epoll + recvmmsg)\n");
	fprintf(f, "io.sessions: %u\n", io->n);
	fprintf(f, "io.rx_timestamps: software (generator clock after recvmmsg returns)\n");
	fprintf(f, "io.hw_timestamps: no (kernel sockets)\n");
	fprintf(f, "io.tx_errors: %lu\n", (unsigned long)io->tx_err);
	fprintf(f, "io.icmp_refused: %lu\n", (unsigned long)io->refused);
}

const struct nxg_io_ops nxg_io_sock = {
	.name = "sock",
	.open = sock_open,
	.session = sock_session,
	.send = sock_send,
	.poll = sock_poll,
	.facts = sock_facts,
	.close = sock_close,
};
