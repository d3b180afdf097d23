/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The image of one book side that the feed's publisher and subscriber both
 * keep: a sorted array of at most max levels, best first. A feed image is
 * read whole (a snapshot, a depth query) far more than it is searched, and
 * real books change near the top, so a contiguous array (binary search,
 * memmove of the levels below) beats linked nodes here; the bound keeps
 * the memmove short.
 */
#include <string.h>

#include "feed_priv.h"

/* Levels strictly better than px: bids higher, asks lower. */
static uint32_t rank(const struct nx_level_info *lv, uint32_t n, unsigned side, nx_px_t px)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int better = side == NX_SIDE_BUY ? lv[mid].px > px : lv[mid].px < px;

		if (better)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int feed_levels_set(struct nx_level_info *lv, uint32_t *n, uint32_t max, unsigned side,
		    nx_px_t px, nx_qty_t qty, uint32_t count)
{
	uint32_t at = rank(lv, *n, side, px);
	int rc = FEED_SET_OK;

	if (at < *n && lv[at].px == px) {
		if (qty > 0) {
			lv[at].qty = qty;
			lv[at].count = count;
		} else {
			memmove(&lv[at], &lv[at + 1], (size_t)(*n - at - 1) * sizeof(*lv));
			(*n)--;
		}
		return FEED_SET_OK;
	}
	if (qty == 0)
		return FEED_SET_UNKNOWN;
	if (*n == max) {
		/* Full: the worst level goes, which is this one if it ranks last. */
		if (at == max)
			return FEED_SET_OVERFLOW;
		(*n)--;
		rc = FEED_SET_OVERFLOW;
	}
	memmove(&lv[at + 1], &lv[at], (size_t)(*n - at) * sizeof(*lv));
	lv[at] = (struct nx_level_info){ .px = px, .qty = qty, .count = count };
	(*n)++;
	return rc;
}

int feed_levels_check(const struct nx_level_info *lv, uint32_t n, unsigned side)
{
	for (uint32_t i = 0; i < n; i++) {
		if (lv[i].qty <= 0 || lv[i].count == 0)
			return -1;
		if (i && (side == NX_SIDE_BUY ? lv[i - 1].px <= lv[i].px : lv[i - 1].px >= lv[i].px))
			return -1;
	}
	return 0;
}
