/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nanoex-sock's way out: which socket a reply leaves by (the one its
 * client last used, from a small peer table) and the batched sendmmsg of a
 * shard's reply datagrams. Split from main.c so tests/test_sock_out.c can
 * drive it with real sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "sock.h"

/* The peer table: an address's home slot from the top bits of a Fibonacci
 * hash (the low bits of the product depend only on the address's low
 * bits, so 10.1.0.5 and 10.2.0.5 shared every slot), then SOCK_PEER_WAYS
 * slots to look in. */
static uint32_t peer_home(uint32_t ip)
{
	return (ip * 2654435761u) >> (32 - SOCK_PEERS_LOG2);
}

/* The socket a reply to ip leaves by: the one its client last used (the
 * first socket for an address the table no longer holds). */
int sock_reply_fd(const struct sock_shard *s, uint32_t ip)
{
	if (s->nfd == 1)
		return s->fd[0];
	for (uint32_t w = 0, h = peer_home(ip); w < SOCK_PEER_WAYS; w++) {
		const uint32_t i = (h + w) % SOCK_PEERS;
		if (s->peer[i].ip == ip)
			return s->fd[s->peer[i].fd_ix];
	}
	return s->fd[0];
}

/* Remember that ip came in on socket f: its slot if it has one, else the
 * first free of its ways, else its home (the oldest claim is not kept). */
void sock_peer_learn(struct sock_shard *s, uint32_t ip, uint32_t f)
{
	uint32_t h = peer_home(ip), at = h, found = 0;

	for (uint32_t w = 0; w < SOCK_PEER_WAYS && !found; w++) {
		const uint32_t i = (h + w) % SOCK_PEERS;
		if (s->peer[i].ip == ip) {
			at = i;
			found = 1;
		} else if (!s->peer[i].ip && at == h && s->peer[h].ip) {
			at = i;
		}
	}
	s->peer[at].ip = ip;
	s->peer[at].fd_ix = (uint8_t)f;
}

void sock_send_out(struct sock_shard *s)
{
	struct mmsghdr mm[SOCK_OUT];
	struct iovec iov[SOCK_OUT];
	struct sockaddr_in to[SOCK_OUT];
	uint32_t i = 0;
	while (i < s->out.n) {
		/* One sendmmsg per run of datagrams leaving by the same socket. */
		int fd = sock_reply_fd(s, s->out.d[i].to.ip);
		unsigned k = 0;
		for (; i < s->out.n && k < SOCK_OUT && sock_reply_fd(s, s->out.d[i].to.ip) == fd; i++, k++) {
			const struct nx_out_dgram *d = &s->out.d[i];
			to[k] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(d->to.port),
						      .sin_addr.s_addr = htonl(d->to.ip) };
			iov[k] = (struct iovec){ (void *)d->data, d->len };
			mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to[k],
				.msg_namelen = sizeof(to[k]), .msg_iov = &iov[k], .msg_iovlen = 1 } };
		}
		for (unsigned sent = 0; sent < k;) {
			int r = sendmmsg(fd, mm + sent, k - sent, 0);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
				    errno != ENOBUFS && errno != ENOMEM) {
					/* This datagram's address (a client at port 0):
					 * skip it, and send the others' replies. */
					s->io.tx_refused++;
					sent++;
					continue;
				}
				s->io.tx_full += k - sent; /* the socket buffer is full */
				break;
			}
			/* Bytes of what the kernel took only, as nanoex counts
			 * them: a refused or dropped datagram was not sent. */
			for (int j = 0; j < r; j++)
				s->io.tx_bytes += iov[sent + (unsigned)j].iov_len;
			sent += (unsigned)r;
			s->io.tx_pkts += (unsigned)r;
		}
	}
	s->out.n = 0;
}

void sock_spill(struct nx_out *out, void *arg)
{
	(void)out;
	sock_send_out(arg);
}
