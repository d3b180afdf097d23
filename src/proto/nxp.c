/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The NXP codec's out-of-line half: the template table the reader consults,
 * one encoder per message, and the names. Everything is generated from the
 * message tables in nx/nxp.h, so a field added there is encoded, decoded and
 * checked at once. The static asserts below are the proof that the tables
 * (and so docs/protocol.md, which tests/test_nxp.c compares with them) lay
 * out every block contiguously at the stated offsets and lengths, and that
 * the wire enums carry the engine's values.
 */
#include <stddef.h>
#include <string.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "nx/event.h"
#include "nx/instrument.h"
#include "nx/nxp.h"
#include "nx/risk.h"
#include "nx/types.h"

/* --- Layout proofs ----------------------------------------------------------- */

/* A packed mirror of each block: offsetof must give the table's offset, and
 * sizeof the v1 block length, so the offsets are gap-free and add up. */
#define WFIELD_(m, f, t, off) NX_NXP_DECL_##t(f);
#define X_(N, n, S, ID, LEN, FL) struct NX_PACKED wire_##n { NX_NXP_FIELDS_##n(WFIELD_, n) };
NX_NXP_MESSAGES(X_)
#undef X_
#undef WFIELD_

#define AFIELD_(m, f, t, off)                                                    \
	NX_STATIC_ASSERT(offsetof(struct wire_##m, f) == (off), #m "." #f " offset");   \
	NX_STATIC_ASSERT(sizeof(((struct wire_##m *)0)->f) == NX_NXP_SIZE_##t, #m "." #f " size");
#define X_(N, n, S, ID, LEN, FL)                                                   \
	NX_NXP_FIELDS_##n(AFIELD_, n)                                              \
	NX_STATIC_ASSERT(sizeof(struct wire_##n) == (LEN), #S " block length");     \
	NX_STATIC_ASSERT((LEN) > 0 && (LEN) <= 255, #S " v1 block fits the table"); \
	NX_STATIC_ASSERT((ID) > 0 && (ID) < NX_NXP_TID_LIMIT, #S " templateId in range");
NX_NXP_MESSAGES(X_)
#undef X_
#undef AFIELD_

NX_STATIC_ASSERT(NX_NXP_OVERHEAD == NX_NXP_SOFH_LEN + NX_NXP_HDR_LEN, "overhead");
NX_STATIC_ASSERT(NX_SYMBOL_MAX == 16, "Symbol is char[16] on the wire");

/* The wire enums are the engine's enums. */
NX_STATIC_ASSERT(NX_SIDE_BUY == 1 && NX_SIDE_SELL == 2, "Side");
NX_STATIC_ASSERT(NX_ORD_LIMIT == 1 && NX_ORD_MARKET == 2, "OrdType");
NX_STATIC_ASSERT(NX_TIF_GTC == 1 && NX_TIF_IOC == 2 && NX_TIF_FOK == 3, "TimeInForce");
NX_STATIC_ASSERT(NX_STP_DEFAULT == 0 && NX_STP_NONE == 1 && NX_STP_CN == 2 && NX_STP_CO == 3 &&
		 NX_STP_CB == 4 && NX_STP_DC == 5, "StpMode");
NX_STATIC_ASSERT(NX_LIQ_MAKER == 1 && NX_LIQ_TAKER == 2, "Liquidity");
NX_STATIC_ASSERT(NX_REQ_NEW == 1 && NX_REQ_CANCEL == 2 && NX_REQ_REPLACE == 3 &&
		 NX_REQ_MASS_CANCEL == 4, "RequestKind");
NX_STATIC_ASSERT(NX_KIND_SPOT == 1 && NX_KIND_FUTURE == 2 && NX_KIND_PERPETUAL == 3 &&
		 NX_KIND_OPTION == 4, "InstrumentKind");
NX_STATIC_ASSERT(NX_STATUS_OPEN == 1 && NX_STATUS_HALTED == 2 && NX_STATUS_CLOSED == 3,
		 "InstrumentStatus");
NX_STATIC_ASSERT(NX_CALL == 1 && NX_PUT == 2, "PutCall");
NX_STATIC_ASSERT(NX_KILL_VENUE == 1 && NX_KILL_ACCOUNT == 2 && NX_KILL_INSTRUMENT == 3,
		 "KillSwitchScope");
NX_STATIC_ASSERT(NX_LIMIT_MAX_ORDER_NOTIONAL == 1 && NX_LIMIT_POSITION == 2 &&
		 NX_LIMIT_CREDIT == 3 && NX_LIMIT_MAX_OPEN_ORDERS == 4 && NX_LIMIT_MSG_RATE == 5 &&
		 NX_LIMIT_MSG_BURST == 6, "LimitKind");
NX_STATIC_ASSERT(NX_KEY_BYTES == 32, "SecretKey is uint8[32] on the wire");

/* --- Template table ------------------------------------------------------------ */

#define X_(N, n, S, ID, LEN, FL) [ID] = { LEN, FL },
const struct nx_nxp_tinfo_ nx_nxp_tinfo_[NX_NXP_TID_LIMIT] = { NX_NXP_MESSAGES(X_) };
#undef X_

/* --- Encoding ------------------------------------------------------------------- */

uint8_t *nx_nxp_encode_header(struct nx_nxp_writer *w, uint16_t template_id,
			      uint16_t version, uint16_t block_len)
{
	uint8_t *b = nx_nxp_put_header_(w, template_id, version, block_len);
	if (b)
		memset(b, 0, block_len);
	return b;
}

/* --- Names ------------------------------------------------------------------------ */

const char *nx_nxp_template_name(unsigned template_id)
{
	switch (template_id) {
#define X_(N, n, S, ID, LEN, FL) case ID: return #S;
	NX_NXP_MESSAGES(X_)
#undef X_
	default: return "?";
	}
}

const char *nx_nxp_strerror(int rc)
{
	switch (rc) {
	case NX_NXP_E_SOFH_TRUNC:  return "SOFH_TRUNC";
	case NX_NXP_E_ENCODING:    return "ENCODING";
	case NX_NXP_E_SOFH_SHORT:  return "SOFH_SHORT";
	case NX_NXP_E_SOFH_LONG:   return "SOFH_LONG";
	case NX_NXP_E_HDR_TRUNC:   return "HDR_TRUNC";
	case NX_NXP_E_SCHEMA:      return "SCHEMA";
	case NX_NXP_E_VERSION:     return "VERSION";
	case NX_NXP_E_TEMPLATE:    return "TEMPLATE";
	case NX_NXP_E_BLOCK_SHORT: return "BLOCK_SHORT";
	case NX_NXP_E_LENGTH:      return "LENGTH";
	default:                   return "?";
	}
}
