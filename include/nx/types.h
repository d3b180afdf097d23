/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Scalar types shared by every libnx module. The units live in the names:
 * a price is an integer count of the instrument's price unit (never a float),
 * a quantity an integer count of its quantity unit. Tick and lot sizes are
 * expressed in those same units, so "a multiple of the tick" is checkable
 * with integer arithmetic and the engine never sees a fraction.
 */
#ifndef NX_TYPES_H
#define NX_TYPES_H

#include <stdint.h>

typedef int64_t  nx_px_t;    /* price, in the instrument's price units */
typedef int64_t  nx_qty_t;   /* quantity, in the instrument's quantity units */
typedef uint64_t nx_oid_t;   /* venue order id, assigned by the shard, 1.. */
typedef uint64_t nx_tid_t;   /* venue trade id, assigned by the shard, 1.. */
typedef uint64_t nx_clid_t;  /* client order id, chosen by the client */
typedef uint32_t nx_acct_t;  /* account id */
typedef uint32_t nx_inst_t;  /* instrument id */

enum nx_side {
	NX_SIDE_BUY  = 1,
	NX_SIDE_SELL = 2,
};

/* The opposite side; only for NX_SIDE_BUY / NX_SIDE_SELL. */
static inline enum nx_side nx_side_other(enum nx_side s)
{
	return s == NX_SIDE_BUY ? NX_SIDE_SELL : NX_SIDE_BUY;
}

#endif /* NX_TYPES_H */
