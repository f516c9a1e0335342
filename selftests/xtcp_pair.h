/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of a client/server fixture that need the harness, around
 * xtcp_test_pair_setup()/xtcp_test_pair_teardown() of xtcp_test.h. Include
 * after kselftest_harness.h. The fixture holds a struct xtcp_test_pair
 * named pair:
 *
 *   FIXTURE(f) { struct xtcp_test_pair pair; ... };
 *   XTCP_PAIR_VARIANTS(f);
 *   FIXTURE_SETUP(f)
 *   {
 *           XTCP_PAIR_SETUP("xtcp-f", variant->client_xtcp,
 *                           variant->server_xtcp);
 *           ...
 *   }
 *   FIXTURE_TEARDOWN(f) { XTCP_PAIR_TEARDOWN(10000); }
 *   TEST_F(f, t) { SKIP_IF_NEEDED(); ... }
 */
#ifndef _XTCP_PAIR_H
#define _XTCP_PAIR_H

#include "xtcp_test.h"

/*
 * The four variants of fixture f, client and server each XTCP or native:
 * xtcp_xtcp, xtcp_tcp, tcp_xtcp, and tcp_tcp, the reference that shows
 * Linux behaves as asserted.
 */
#define XTCP_PAIR_VARIANTS(f)						\
	FIXTURE_VARIANT(f) {						\
		bool client_xtcp;					\
		bool server_xtcp;					\
	};								\
	FIXTURE_VARIANT_ADD(f, xtcp_xtcp) {				\
		.client_xtcp = true, .server_xtcp = true		\
	};								\
	FIXTURE_VARIANT_ADD(f, xtcp_tcp) {				\
		.client_xtcp = true, .server_xtcp = false		\
	};								\
	FIXTURE_VARIANT_ADD(f, tcp_xtcp) {				\
		.client_xtcp = false, .server_xtcp = true		\
	};								\
	FIXTURE_VARIANT_ADD(f, tcp_tcp) {				\
		.client_xtcp = false, .server_xtcp = false		\
	}

/*
 * In FIXTURE_SETUP: the topology (side 0 XTCP if xtcp0, side 1 if xtcp1;
 * the _BARE form leaves side 1 without an address for a raw peer), or a
 * skip (a failure under XTCP_REQUIRED=1) when XTCP cannot be used.
 */
#define XTCP_PAIR_SETUP(prefix, xtcp0, xtcp1)				\
	__XTCP_PAIR_SETUP(xtcp_test_pair_setup(&self->pair, prefix,	\
					       xtcp0, xtcp1))
#define XTCP_PAIR_SETUP_BARE(prefix, xtcp0)				\
	__XTCP_PAIR_SETUP(xtcp_test_pair_setup_bare(&self->pair, prefix,	\
						    xtcp0))
#define __XTCP_PAIR_SETUP(setup) do {					\
	int __ret = (setup);						\
									\
	if (self->pair.skip) {						\
		ASSERT_FALSE(xtcp_test_required())			\
			TH_LOG("%s", self->pair.skip);			\
		return;							\
	}								\
	ASSERT_EQ(0, __ret);						\
} while (0)

/*
 * In FIXTURE_TEARDOWN: whatever the test did, its XTCP sockets must go
 * away within timeout_ms; the test fails for those left.
 */
#define XTCP_PAIR_TEARDOWN(timeout_ms) do {				\
	int __left[2], __i;						\
									\
	xtcp_test_pair_teardown(&self->pair, timeout_ms, __left);	\
	for (__i = 0; __i < 2; __i++) {					\
		if (!__left[__i])					\
			continue;					\
		TH_LOG("%d socket(s) left in /proc/net/xtcp of %s",	\
		       __left[__i], self->pair.net.ns[__i]);		\
		_metadata->passed = 0;					\
	}								\
} while (0)

/* At the start of each TEST_F: skip when the setup did */
#define SKIP_IF_NEEDED() do {						\
	if (self->pair.skip)						\
		SKIP(return, "%s", self->pair.skip);			\
} while (0)

#endif /* _XTCP_PAIR_H */
