/*
 * suppress.c: statistical disclosure control for tables of counts, after
 * UK official-statistics practice (ONS / Government Statistical Service
 * guidance on disclosure control for tables from administrative sources,
 * and the output-checking rules of the UK trusted research environments):
 *
 * 1. Primary suppression. A count from 1 to threshold-1 (default 10, never
 *    below 5) could single out a family, so it is hidden and published as
 *    "<10". The margins (row, column and grand totals) are counts too and
 *    follow the same rule. A zero is published as 0: the charity's tables
 *    count events, and "no disclosures to this kind of agency" identifies
 *    no one (the policy's promise is about families, not about absences).
 *
 *    Events are not families: twelve disclosures about one family to the
 *    only housing agency would read "12", and everything that cell says
 *    is about that family. So the caller also gives, for every member
 *    (margins included, each counted on its own, since one family can be
 *    in several cells of a line), how many distinct families it counts,
 *    and a member of threshold or more counting fewer than threshold
 *    families is hidden for itself too (SDC_FAMILIES). It reads "[c]", as
 *    a complement does: its count is at least the threshold, so "<10"
 *    would be false, and a reader cannot tell it from a complement (a
 *    label of its own would say "few families here").
 *
 * 2. Secondary (complementary) suppression. Published totals let a reader
 *    subtract: a row with one hidden cell gives it away. So every line (a
 *    row or column of the table including its margins) with exactly one
 *    hidden member gets a second one: the smallest non-zero published cell
 *    of the line (the least information lost), or, when it has none, the
 *    line's total. Repeated to a fixed point, since a complement placed
 *    for a row is a new hidden cell in its column.
 *
 * 3. The sum of what is hidden, and the labels' bounds. When a line's
 *    total is published, the sum S of its hidden members is known (total
 *    minus what is shown), and so are their bounds from the labels: a
 *    "<10" member lies in 1..9, a "[c]" one (see below) is 10 or more; a
 *    hidden total that is a member of the line (in the margins' own lines)
 *    is bounded by its label the same way. From that line alone a "<10"
 *    member i lies in S - (the others' largest) .. S - (the others'
 *    least), and that must not be narrower than the 1..9 its label
 *    already publishes: S - sum of the others' largest <= 1 and S - sum
 *    of the others' least >= 9. Otherwise one more member is hidden (the
 *    smallest non-zero shown cell, else the total). "[c]", "<10", total
 *    11 fails (the "[c]" is at least 10, so the "<10" is exactly 1); so
 *    does "<10", "<10", 30, total 48 (18 = 9 + 9), and so does "<10",
 *    "[c]", total 17 (which puts the small one in 1..7). This includes
 *    the plain sum rule: two or more hidden members behind a published
 *    total add up to 10 or more ("these two hidden cells add up to 3" is
 *    a small count in disguise), since a line with a "<10" then needs S
 *    >= 9 + the others' least >= 10, and one without is all "[c]".
 *
 *    A member hidden for its families reads "[c]" (10 or more) and has no
 *    upper bound from its label, but a line's total gives it one: it lies
 *    in max(10, S - the others' largest) .. S - the others' least, and
 *    that must keep at least threshold-1 values (as many as "<10" keeps:
 *    1..9), else one more member is hidden. "[c]" (12 about one family),
 *    "[c]" (a complement of 10), total 22 fails (10..12); so does the
 *    same cell beside "<10" alone with total 15 (10..14).
 *
 * 4. Exact audit. The line rule is necessary, not sufficient: hidden cells
 *    spread over several rows and columns can still be solved from the
 *    linear equations the totals give. Those equations are the incidence
 *    system of a bipartite graph (a node per row line and per column line,
 *    an edge per hidden member; signs can be normalised away), and a hidden
 *    value is determined exactly when its edge lies on no cycle, i.e. is a
 *    bridge. Every member hidden for itself (a small count, or few
 *    families) that is a bridge gets a complement
 *    in its row (else its column); if none is left to hide, every non-zero
 *    total is hidden, which puts each hidden cell on the 4-cycle cell, row
 *    total, grand total, column total. Then the rules run again.
 *
 *    Complements are labelled "[c]" (the Government Statistical Service's
 *    mark for a confidential cell), not "<10": every complement is at least
 *    the threshold (smaller counts are already primary), and so is every
 *    shown member, whose families are at least the threshold too, so "<10"
 *    would be false. A reader thus knows a "[c]" cell is >= 10, and rule 3
 *    takes that into account: no single line's published total narrows a
 *    "<10" beside a "[c]".
 *
 * 5. Percentages are published only when made of published values (a
 *    hidden cell's share, or a share of a hidden total, is hidden too), so
 *    they reveal nothing the counts do not. Totals are the true sums (not
 *    rounded), hidden whenever the rules above say so.
 *
 * What this does not do: it protects against exact derivation from the
 * lines' equations (rule 4), and guarantees that no one line, read with
 * the labels' bounds, narrows a "<10" member below 1..9 or a member hidden
 * for its families below threshold-1 values (rule 3). It does not combine
 * bounds across lines: the feasibility interval of a hidden
 * cell under every line's equation, the labels' bounds and non-negativity
 * together (linear programming) is not computed, so several lines read
 * jointly may still narrow a "<10", or even pin it where the equations
 * alone do not. Bounds on a "[c]" are not protected (a complement may be
 * narrowed or pinned; it is not a small count, and the families it counts
 * are at least the threshold). Nor does it protect
 * across tables published separately for overlapping periods
 * (stats_api.c publishes one period per request; requesting many
 * overlapping periods and differencing them is the residual risk, kept
 * small because every table is cut by whole days and logged in the ledger).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suppress.h"

/* A printable threshold: "<" plus up to 7 digits. */
#define SUPPRESS_MAX_THRESHOLD	1000000

int
suppress_threshold_ok(int threshold)
{
	return threshold >= SUPPRESS_MIN_THRESHOLD && threshold <= SUPPRESS_MAX_THRESHOLD;
}

/* The grid's geometry: nr = rows+1 row lines, nc = cols+1 column lines. */
struct grid {
	size_t		 nr, nc;
	int64_t		*v;
	unsigned char	*m;
	int		 threshold;
};

static size_t
at(const struct grid *g, size_t i, size_t j)
{
	return i * g->nc + j;
}

/*
 * A line is a row (horizontal, index i < nr) or a column (vertical, index
 * j < nc); its n members are taken in order, the last being its total.
 */
static size_t
line_member(const struct grid *g, int vertical, size_t line, size_t k)
{
	return vertical ? at(g, k, line) : at(g, line, k);
}

static size_t
line_len(const struct grid *g, int vertical)
{
	return vertical ? g->nr : g->nc;
}

/* Hides the smallest non-zero shown inner member of the line, else its
 * total when shown and non-zero. 1 if something was hidden, else 0. */
static int
hide_complement(struct grid *g, int vertical, size_t line)
{
	size_t	n = line_len(g, vertical), best = SIZE_MAX, k, idx;

	for (k = 0; k + 1 < n; k++) {
		idx = line_member(g, vertical, line, k);
		if (g->m[idx] != SDC_SHOWN || g->v[idx] == 0)
			continue;
		if (best == SIZE_MAX || g->v[idx] < g->v[best])
			best = idx;
	}
	if (best == SIZE_MAX) {
		idx = line_member(g, vertical, line, n - 1);
		if (g->m[idx] != SDC_SHOWN || g->v[idx] == 0)
			return 0;
		best = idx;
	}
	g->m[best] = SDC_SECONDARY;
	return 1;
}

/*
 * Rule 3 for one line whose total is published: whether the hidden sum s,
 * shared by nprim primary members (each 1..threshold-1 by its "<T" label)
 * and nsec complements (each threshold or more by "[c]"), leaves every
 * primary member the whole of 1..threshold-1. All primaries have the same
 * bounds, so one check covers each: the others are nprim-1 primaries and
 * nsec complements. 1 if the line is safe, else 0.
 */
static int
line_keeps_bounds(int64_t s, size_t nprim, size_t nsec, int threshold)
{
	int64_t	t = threshold;

	if (nprim == 0)
		return 1;
	/* Its largest value, s minus the others' least, reaches T-1. */
	if (s - (int64_t)(nprim - 1) - (int64_t)nsec * t < t - 1)
		return 0;
	/* Its least value, s minus the others' largest, reaches 1 (a
	 * complement has no largest value, so then it always does). */
	if (nsec == 0 && s - (int64_t)(nprim - 1) * (t - 1) > 1)
		return 0;
	return 1;
}

/*
 * Rule 3 for the members hidden for their families ("[c]", like every
 * complement): whether the hidden sum s, shared by nprim "<T" members and
 * nc "[c]" ones (this member among them), leaves such a member at least
 * threshold-1 values. Its least is T, or s minus the others' largest when
 * they are all "<T"; its largest is s minus the others' least. 1 if safe.
 */
static int
line_keeps_family_bounds(int64_t s, size_t nprim, size_t nc, int threshold)
{
	int64_t	t = threshold, hi, lo = t;

	hi = s - (int64_t)nprim - (int64_t)(nc - 1) * t;
	if (nc == 1 && s - (int64_t)nprim * (t - 1) > lo)
		lo = s - (int64_t)nprim * (t - 1);
	return hi - lo >= t - 2;
}

/* Rules 2 and 3 over every line once. Returns how many were hidden. */
static int
line_rules(struct grid *g)
{
	int	changed = 0, vertical;
	size_t	line, nlines, n, k, idx, hidden, nprim, nsec, nfam;
	int64_t	hidden_sum;

	for (vertical = 0; vertical <= 1; vertical++) {
		nlines = vertical ? g->nc : g->nr;
		n = line_len(g, vertical);
		for (line = 0; line < nlines; line++) {
			hidden = nprim = nsec = nfam = 0;
			hidden_sum = 0;
			for (k = 0; k < n; k++) {
				idx = line_member(g, vertical, line, k);
				if (g->m[idx] == SDC_SHOWN)
					continue;
				hidden++;
				if (k + 1 == n)
					continue;
				hidden_sum += g->v[idx];
				if (g->m[idx] == SDC_PRIMARY)
					nprim++;
				else
					nsec++;	/* "[c]": complements and families */
				nfam += g->m[idx] == SDC_FAMILIES;
			}
			if (hidden == 1) {
				changed += hide_complement(g, vertical, line);
				continue;
			}
			idx = line_member(g, vertical, line, n - 1);
			if (hidden > 0 && g->m[idx] == SDC_SHOWN &&
			    (!line_keeps_bounds(hidden_sum, nprim, nsec, g->threshold) ||
			    (nfam > 0 && !line_keeps_family_bounds(hidden_sum, nprim, nsec,
			    g->threshold))))
				changed += hide_complement(g, vertical, line);
		}
	}
	return changed;
}

/*
 * Bridge finding (Tarjan) on the bipartite graph of hidden members: nodes
 * 0..nr-1 are row lines, nr..nr+nc-1 column lines; member (i, j) is the
 * edge {i, nr+j}. Adjacency is scanned from the grid itself.
 */
struct bridges {
	size_t			 nr, nc;
	const unsigned char	*m;
	int			*disc, *low;
	unsigned char		*bridge;	/* per member */
	int			 time;
};

static void
dfs(struct bridges *b, size_t u, size_t parent_edge)
{
	size_t	n, k, idx, w;
	int	vertical = u >= b->nr;
	size_t	line = vertical ? u - b->nr : u;

	b->disc[u] = b->low[u] = ++b->time;
	n = vertical ? b->nr : b->nc;
	for (k = 0; k < n; k++) {
		idx = vertical ? k * b->nc + line : line * b->nc + k;
		if (b->m[idx] == SDC_SHOWN || idx == parent_edge)
			continue;
		w = vertical ? k : b->nr + k;
		if (b->disc[w] == 0) {
			dfs(b, w, idx);
			if (b->low[w] < b->low[u])
				b->low[u] = b->low[w];
			if (b->low[w] > b->disc[u])
				b->bridge[idx] = 1;
		} else if (b->disc[w] < b->low[u]) {
			b->low[u] = b->disc[w];
		}
	}
}

/* Marks in bridge[] (per member) the hidden members whose value the
 * published ones determine. 0 ok, -1 out of memory. */
static int
find_bridges(size_t nr, size_t nc, const unsigned char *mark, unsigned char *bridge)
{
	struct bridges	b = { .nr = nr, .nc = nc, .m = mark, .bridge = bridge };
	size_t		nodes = nr + nc, u;

	b.disc = calloc(nodes, sizeof(int));
	b.low = calloc(nodes, sizeof(int));
	if (b.disc == NULL || b.low == NULL) {
		free(b.disc);
		free(b.low);
		return -1;
	}
	memset(bridge, 0, nr * nc);
	for (u = 0; u < nodes; u++)
		if (b.disc[u] == 0)
			dfs(&b, u, SIZE_MAX);
	free(b.disc);
	free(b.low);
	return 0;
}

/* Rule 4: one complement for the first determined member hidden for
 * itself (a small count or few families), or the
 * totals fallback. 1 if something was hidden, 0 if the grid is safe, -1
 * out of memory. */
static int
audit(struct grid *g)
{
	size_t		 total = g->nr * g->nc, idx, i, j;
	unsigned char	*bridge;
	int		 changed = 0;

	if ((bridge = malloc(total)) == NULL)
		return -1;
	if (find_bridges(g->nr, g->nc, g->m, bridge) != 0) {
		free(bridge);
		return -1;
	}
	for (idx = 0; idx < total; idx++) {
		if ((g->m[idx] != SDC_PRIMARY && g->m[idx] != SDC_FAMILIES) || !bridge[idx])
			continue;
		i = idx / g->nc;
		j = idx % g->nc;
		changed = hide_complement(g, 0, i) || hide_complement(g, 1, j);
		if (!changed) {
			/* Fallback: every non-zero total. */
			for (i = 0; i < g->nr; i++)
				for (j = 0; j < g->nc; j++) {
					size_t t = at(g, i, j);
					if ((i + 1 == g->nr || j + 1 == g->nc) &&
					    g->m[t] == SDC_SHOWN && g->v[t] != 0) {
						g->m[t] = SDC_SECONDARY;
						changed = 1;
					}
				}
		}
		if (changed)
			break;
	}
	free(bridge);
	return changed;
}

int
suppress_table(const int64_t *cells, const int64_t *families, size_t rows, size_t cols,
    int threshold, int64_t *grid, unsigned char *mark)
{
	struct grid	g;
	size_t		i, j, total;
	int		r;

	if (!suppress_threshold_ok(threshold) || rows == 0 || cols == 0 ||
	    rows > SUPPRESS_MAX_ROWS || cols > SUPPRESS_MAX_COLS ||
	    cells == NULL || grid == NULL || mark == NULL)
		return -1;
	g = (struct grid){ .nr = rows + 1, .nc = cols + 1, .v = grid, .m = mark,
	    .threshold = threshold };
	total = g.nr * g.nc;
	memset(grid, 0, total * sizeof(*grid));
	for (i = 0; i < rows; i++)
		for (j = 0; j < cols; j++) {
			int64_t c = cells[i * cols + j];
			if (c < 0 || c > INT64_MAX / 2 / (int64_t)total)
				return -1;
			grid[at(&g, i, j)] = c;
			grid[at(&g, i, cols)] += c;
			grid[at(&g, rows, j)] += c;
			grid[at(&g, rows, cols)] += c;
		}
	for (i = 0; i < total; i++) {
		if (families != NULL && (families[i] < 0 || families[i] > grid[i] ||
		    (families[i] == 0) != (grid[i] == 0)))
			return -1;
		if (grid[i] >= 1 && grid[i] < threshold)
			mark[i] = SDC_PRIMARY;
		else if (families != NULL && grid[i] >= threshold && families[i] < threshold)
			mark[i] = SDC_FAMILIES;
		else
			mark[i] = SDC_SHOWN;
	}
	for (;;) {
		if (line_rules(&g) > 0)
			continue;
		if ((r = audit(&g)) < 0)
			return -1;
		if (r == 0)
			return 0;
	}
}

/* Writes the decimal digits of v (>= 0) at p; returns the end. stdio is
 * an I/O header, and this file stays pure. */
static char *
put_uint(char *p, uint64_t v)
{
	char	tmp[21];
	size_t	n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

char *
suppress_label(int64_t value, unsigned char mark, int threshold, char buf[24])
{
	char	*p = buf;

	if (mark == SDC_SECONDARY || mark == SDC_FAMILIES) {
		memcpy(p, SUPPRESS_SECONDARY_LABEL, sizeof(SUPPRESS_SECONDARY_LABEL) - 1);
		p += sizeof(SUPPRESS_SECONDARY_LABEL) - 1;
	} else if (mark != SDC_SHOWN) {
		*p++ = '<';
		p = put_uint(p, threshold > 0 ? (uint64_t)threshold : 0);
	} else if (value < 0) {
		*p++ = '-';
		p = put_uint(p, (uint64_t)0 - (uint64_t)value);
	} else {
		p = put_uint(p, (uint64_t)value);
	}
	*p = '\0';
	return buf;
}

const char *
suppress_percent(int64_t num, unsigned char num_mark, int64_t den,
    unsigned char den_mark, char buf[16])
{
	int64_t	 tenths;
	char	*p;

	if (num_mark != SDC_SHOWN || den_mark != SDC_SHOWN || den <= 0 || num < 0 ||
	    num > den || num > INT64_MAX / 10000)
		return NULL;
	/* Rounded half up to one decimal of a percent. */
	tenths = (num * 10000 / den + 5) / 10;
	p = put_uint(buf, (uint64_t)(tenths / 10));
	*p++ = '.';
	p = put_uint(p, (uint64_t)(tenths % 10));
	*p = '\0';
	return buf;
}

int
suppress_derivable(const int64_t *grid, const unsigned char *mark,
    size_t rows, size_t cols, size_t k)
{
	size_t		 nr = rows + 1, nc = cols + 1;
	unsigned char	*bridge;
	int		 r;

	(void)grid;	/* which members are hidden decides it, not their values */
	if (k >= nr * nc)
		return -1;
	if (mark[k] == SDC_SHOWN)
		return 1;
	if ((bridge = malloc(nr * nc)) == NULL)
		return -1;
	if (find_bridges(nr, nc, mark, bridge) != 0) {
		free(bridge);
		return -1;
	}
	r = bridge[k] ? 1 : 0;
	free(bridge);
	return r;
}
