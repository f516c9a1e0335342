// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed segments pushed at an established XTCP connection.
 *
 *   ns[0]: XTCP client, veth0 192.0.2.1     ns[1]: native server, veth1
 *                                            192.0.2.2, and an AF_PACKET
 *                                            socket on veth1
 *
 * The packet socket sees the handshake, so it knows both initial sequence
 * numbers; after the server sent A bytes and read one byte back it crafts
 * frames from the server's address and port to the client's, with the
 * very sequence number XTCP expects next and a payload of its own. Each
 * variant breaks the frame one way. XTCP must drop it (and count the drop
 * in /proc/net/xtcp_stat); if it took it, the real bytes sent after would
 * no longer be what the client reads, so the stream's SHA-256 is checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <openssl/evp.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define PORT		5556
#define CHUNK_A		10000
#define CHUNK_B		10000
#define EVIL_LEN	100

enum breakage {
	TCP_CSUM, IP_CSUM, DOFF_SMALL, DOFF_LARGE, IP_LEN_LONG, TCP_SHORT,
	FRAGMENT, IHL_SMALL,
};

FIXTURE(raw) {
	struct xtcp_test_pair pair;
};

FIXTURE_VARIANT(raw) {
	enum breakage kind;
	/* the drop shows in one of these */
	const char *counters[4];
};

FIXTURE_VARIANT_ADD(raw, tcp_checksum) {
	.kind = TCP_CSUM,
	.counters = { "DropTcpChecksum", "InCsumErrors" },
};
FIXTURE_VARIANT_ADD(raw, ip_checksum) {
	.kind = IP_CSUM,
	.counters = { "DropIpChecksum" },
};
FIXTURE_VARIANT_ADD(raw, doff_below_5) {
	.kind = DOFF_SMALL,
	.counters = { "DropTcpHeader", "InErrs" },
};
FIXTURE_VARIANT_ADD(raw, doff_past_segment) {
	.kind = DOFF_LARGE,
	.counters = { "DropTcpHeader", "InErrs" },
};
FIXTURE_VARIANT_ADD(raw, ip_len_past_frame) {
	.kind = IP_LEN_LONG,
	.counters = { "DropIpLength" },
};
FIXTURE_VARIANT_ADD(raw, tcp_header_truncated) {
	.kind = TCP_SHORT,
	.counters = { "DropTcpHeader", "DropIpLength", "InErrs" },
};
FIXTURE_VARIANT_ADD(raw, fragment) {
	.kind = FRAGMENT,
	.counters = { "DropIpFragment" },
};
FIXTURE_VARIANT_ADD(raw, ihl_below_5) {
	.kind = IHL_SMALL,
	.counters = { "DropIpHeader", "DropIpLength" },
};

FIXTURE_SETUP(raw)
{
	XTCP_PAIR_SETUP("xtcp-raw", true, false);
	/* make sure nothing below XTCP vouches for our bad checksums */
	ASSERT_EQ(0, xtcp_test_rx_csum(self->pair.net.ns[0], "veth0", false));
}

FIXTURE_TEARDOWN(raw)
{
	XTCP_PAIR_TEARDOWN(10000);
}

struct handshake {
	uint32_t client_isn, server_isn;
	bool have_client, have_server;
};

/* Reads what the packet socket saw and picks out the two SYNs. */
static void sniff(int pfd, uint16_t cport, struct handshake *hs)
{
	unsigned char buf[2048];
	struct iphdr *ip;
	struct tcphdr *th;
	ssize_t n;

	for (;;) {
		n = recv(pfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		if (n < (ssize_t)(ETH_HLEN + sizeof(*ip) + sizeof(*th)))
			continue;
		if (buf[12] != 0x08 || buf[13] != 0x00)
			continue;
		ip = (struct iphdr *)(buf + ETH_HLEN);
		if (ip->protocol != IPPROTO_TCP || ip->ihl != 5)
			continue;
		th = (struct tcphdr *)(ip + 1);
		if (!th->syn)
			continue;
		if (ntohs(th->source) == cport && ntohs(th->dest) == PORT &&
		    !th->ack) {
			hs->client_isn = ntohl(th->seq);
			hs->have_client = true;
		} else if (ntohs(th->source) == PORT &&
			   ntohs(th->dest) == cport && th->ack) {
			hs->server_isn = ntohl(th->seq);
			hs->have_server = true;
		}
	}
}

/* Builds one frame from the server to the client, broken as asked. */
static size_t craft(unsigned char *f, enum breakage kind,
		    const unsigned char *dmac, const unsigned char *smac,
		    uint16_t cport, uint32_t seq, uint32_t ack)
{
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	unsigned char evil[EVIL_LEN];
	struct xtcp_test_seg seg = {
		.saddr = inet_addr(XTCP_TEST_ADDR1),
		.daddr = inet_addr(XTCP_TEST_ADDR0),
		.sport = PORT,
		.dport = cport,
		.seq = seq,
		.ack = ack,
		.flags = TH_ACK | TH_PUSH,
		.window = 65535,
		.data = evil,
		.len = EVIL_LEN,
	};
	size_t tcp_len, frame;

	memset(evil, 'E', sizeof(evil));
	memcpy(seg.dmac, dmac, ETH_ALEN);
	memcpy(seg.smac, smac, ETH_ALEN);
	if (kind == DOFF_LARGE || kind == TCP_SHORT)
		seg.len = 0;
	frame = xtcp_test_tcp_frame(f, 2048, &seg);
	tcp_len = frame - ETH_HLEN - sizeof(*ip);
	switch (kind) {
	case TCP_CSUM:
		th->check ^= htons(0x1234);
		break;
	case DOFF_SMALL:
	case DOFF_LARGE:
		/* a checksum that is right for the wrong offset */
		th->doff = kind == DOFF_SMALL ? 4 : 15;	/* 15: 60 > 20 */
		th->check = 0;
		th->check = htons(xtcp_test_tcp_csum(ip, th, tcp_len));
		break;
	case TCP_SHORT:
		tcp_len = 10;				/* half a header */
		frame = ETH_HLEN + sizeof(*ip) + tcp_len;
		ip->tot_len = htons((uint16_t)(sizeof(*ip) + tcp_len));
		break;
	case IP_LEN_LONG:
		ip->tot_len = htons((uint16_t)(sizeof(*ip) + tcp_len + 200));
		break;
	case FRAGMENT:
		ip->frag_off = htons(IP_MF);
		break;
	case IHL_SMALL:
		ip->ihl = 4;
		break;
	default:
		break;
	}
	ip->check = 0;
	ip->check = htons(xtcp_test_csum_fold(xtcp_test_csum_add(0, ip,
								   sizeof(*ip))));
	if (kind == IP_CSUM)
		ip->check ^= htons(0x1234);
	return frame;
}

static long long counters_sum(const char *ns, const char * const *names)
{
	long long sum = 0, v;
	int i;

	for (i = 0; i < 4 && names[i]; i++) {
		v = xtcp_test_counter(ns, names[i]);
		if (v > 0)
			sum += v;
	}
	return sum;
}

static void read_exact(struct __test_metadata *_metadata, int fd,
		       EVP_MD_CTX *ctx, size_t len)
{
	unsigned char buf[4096];
	ssize_t n;

	while (len) {
		n = read(fd, buf, len < sizeof(buf) ? len : sizeof(buf));
		ASSERT_LT(0, n) TH_LOG("read: %zd, errno %d", n, errno);
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		len -= (size_t)n;
	}
}

static void send_chunk(struct __test_metadata *_metadata, int fd,
		       struct xtcp_test_prng *prng, EVP_MD_CTX *ctx, size_t len)
{
	unsigned char *buf = malloc(len);

	ASSERT_NE(NULL, buf);
	xtcp_test_fill(prng, buf, len);
	EVP_DigestUpdate(ctx, buf, len);
	ASSERT_EQ((ssize_t)len, write(fd, buf, len));
	free(buf);
}

TEST_F(raw, attack)
{
	unsigned char xmac[ETH_ALEN], nmac[ETH_ALEN], frame[2048];
	unsigned char md_sent[EVP_MAX_MD_SIZE], md_got[EVP_MAX_MD_SIZE];
	unsigned int md_len_sent, md_len_got;
	EVP_MD_CTX *sent = EVP_MD_CTX_new(), *got = EVP_MD_CTX_new();
	struct handshake hs = { 0 };
	struct xtcp_test_prng prng;
	struct sockaddr_in sin;
	long long before, after, deadline;
	int l, c, s, pfd, ifindex, one = 1;
	uint16_t cport;
	size_t flen;
	char b;

	SKIP_IF_NEEDED();
	ASSERT_TRUE(sent && got);
	ASSERT_EQ(1, EVP_DigestInit_ex(sent, EVP_sha256(), NULL));
	ASSERT_EQ(1, EVP_DigestInit_ex(got, EVP_sha256(), NULL));
	ASSERT_EQ(0, xtcp_test_mac(self->pair.net.ns[0], "veth0", xmac, NULL));
	ASSERT_EQ(0, xtcp_test_mac(self->pair.net.ns[1], "veth1", nmac,
				   &ifindex));

	/* it must see the handshake's SYN-ACK, which veth1 sends */
	pfd = xtcp_test_packet_socket(self->pair.net.ns[1], ifindex, true);
	ASSERT_LE(0, pfd);

	l = xtcp_test_socket(self->pair.net.ns[1], AF_INET, SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 1));
	c = xtcp_test_socket(self->pair.net.ns[0], -1, SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	cport = xtcp_test_local_port(c);

	/* A bytes to the client, one byte back: both sides are in step */
	xtcp_test_prng_init(&prng, 77);
	send_chunk(_metadata, s, &prng, sent, CHUNK_A);
	read_exact(_metadata, c, got, CHUNK_A);
	ASSERT_EQ(1, write(c, "k", 1));
	ASSERT_EQ(1, read(s, &b, 1));
	sniff(pfd, cport, &hs);
	ASSERT_TRUE(hs.have_client && hs.have_server)
		TH_LOG("handshake not seen on veth1");

	before = counters_sum(self->pair.net.ns[0], variant->counters);
	ASSERT_LE(0, before);
	flen = craft(frame, variant->kind, xmac, nmac, cport,
		     hs.server_isn + 1 + CHUNK_A, hs.client_isn + 1 + 1);
	ASSERT_EQ((ssize_t)flen, xtcp_test_packet_send(pfd, ifindex, frame,
						       flen));
	/* the frame is handled in softirq: poll for the counter */
	deadline = xtcp_test_now_ms() + 3000LL * xtcp_test_timeout_scale();
	do {
		after = counters_sum(self->pair.net.ns[0], variant->counters);
		if (after > before)
			break;
		xtcp_test_msleep(10);
	} while (xtcp_test_now_ms() < deadline);
	ASSERT_LT(before, after) TH_LOG("no drop counted in %s%s%s",
					variant->counters[0],
					variant->counters[1] ? "/" : "",
					variant->counters[1] ? variant->counters[1] : "");

	/* the connection goes on, with exactly the server's bytes */
	send_chunk(_metadata, s, &prng, sent, CHUNK_B);
	ASSERT_EQ(0, shutdown(s, SHUT_WR));
	read_exact(_metadata, c, got, CHUNK_B);
	ASSERT_EQ(0, read(c, &b, 1));
	ASSERT_EQ(1, EVP_DigestFinal_ex(sent, md_sent, &md_len_sent));
	ASSERT_EQ(1, EVP_DigestFinal_ex(got, md_got, &md_len_got));
	ASSERT_EQ(md_len_sent, md_len_got);
	ASSERT_EQ(0, memcmp(md_sent, md_got, md_len_sent));
	close(c);
	ASSERT_EQ(0, read(s, &b, 1));
	close(s);
	close(l);
	close(pfd);
	EVP_MD_CTX_free(sent);
	EVP_MD_CTX_free(got);
}

XTCP_HARNESS_MAIN
