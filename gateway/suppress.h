/*
 * suppress.h: statistical disclosure control for a two-way table of counts
 * (pure: no I/O, no state). The statistics endpoint (stats_api.c) builds a
 * table of true counts, asks suppress_table() which of its inner cells and
 * totals may be published, and renders hidden ones with suppress_label().
 *
 * The grid: a table of R rows and C columns of inner cells is extended with
 * its margins into an (R+1) x (C+1) grid, row-major: cell (i, j) for i < R,
 * j < C; row totals in column C; column totals in row R; the grand total at
 * (R, C). Every row and every column of that grid is a "line" whose last
 * member is the sum of the others. Beside each member's count the caller
 * may give how many distinct families it counts (a margin's is not the sum
 * of its cells': one family can be in several). Rules (see suppress.c):
 *   primary	a member from 1 to threshold-1 is hidden ("<10" for 10)
 *   families	a member of threshold or more counting fewer than threshold
 *		families is hidden too ("[c]": its count is >= threshold)
 *   zero	0 is always published as 0, never hidden
 *   line	a line with exactly one hidden member gets a second one
 *   sum	a line whose total is published and whose hidden members, with
 *		the bounds their labels publish ("<10": 1..9, "[c]": 10 or
 *		more), would narrow a "<10" member below 1..9, or a member
 *		hidden for its families to fewer than 9 values (threshold-1,
 *		as many as "<10" keeps), gets another
 *   audit	no member hidden for itself (primary or families) may be
 *		solvable from the published members by the lines' linear
 *		equations (exact check)
 * repeated to a fixed point. Primary members read "<10"; the others (few
 * families, and complements: always >= threshold) read "[c]", never
 * "<10", which would be false, and the two cannot be told apart.
 */
#ifndef SUPPRESS_H
#define SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#define SUPPRESS_DEFAULT_THRESHOLD	10
#define SUPPRESS_MIN_THRESHOLD		5
/* Bounds that keep the exact audit cheap (stats_api.c refuses larger). */
#define SUPPRESS_MAX_ROWS		400
#define SUPPRESS_MAX_COLS		32

enum sdc_mark {
	SDC_SHOWN = 0,		/* published as its value */
	SDC_PRIMARY,		/* hidden: a small count */
	SDC_SECONDARY,		/* hidden: a complement protecting a hidden member */
	SDC_FAMILIES		/* hidden: a count >= threshold of too few families */
};

/* Whether threshold is acceptable (SUPPRESS_MIN_THRESHOLD or more, and
 * small enough to print). 1 yes, 0 no. */
int	suppress_threshold_ok(int threshold);

/* Builds the (rows+1) x (cols+1) grid of cells (rows x cols, row-major,
 * each >= 0) with its margins into grid, and marks in mark (same shape)
 * what must be hidden under the rules above. families, when not NULL, is
 * grid-shaped too: the distinct families each member (margins included)
 * counts, 0 exactly where its count is 0 and never above it; NULL counts
 * every event as a family of its own. grid and mark are the caller's,
 * each with room for (rows+1)*(cols+1) entries. Returns 0; -1 when
 * threshold is refused (suppress_threshold_ok), a count is negative, a
 * family count does not fit its member's count, a dimension is 0 or over
 * the bounds, or memory runs out (then nothing in grid/mark may be
 * published). */
int	suppress_table(const int64_t *cells, const int64_t *families, size_t rows,
	    size_t cols, int threshold, int64_t *grid, unsigned char *mark);

/* Renders one member: its decimal value when shown, "<threshold" for a
 * primary (small) count, SUPPRESS_SECONDARY_LABEL for a complement or a
 * count of too few families. buf
 * must hold 24 bytes; returns buf. */
#define SUPPRESS_SECONDARY_LABEL	"[c]"
char	*suppress_label(int64_t value, unsigned char mark, int threshold, char buf[24]);

/* A percentage num/den to one decimal place ("12.5"), or NULL when it
 * must not be published: either member hidden, or den 0. buf must hold
 * 16 bytes. A published percentage is made from published values only,
 * so it reveals nothing the counts do not. */
const char *suppress_percent(int64_t num, unsigned char num_mark, int64_t den,
	    unsigned char den_mark, char buf[16]);

/* Whether value is solvable from the published members of grid: 1 yes,
 * 0 no, -1 out of memory. For tests and the table's own audit: member
 * index k in the (rows+1) x (cols+1) grid. */
int	suppress_derivable(const int64_t *grid, const unsigned char *mark,
	    size_t rows, size_t cols, size_t k);

#endif
