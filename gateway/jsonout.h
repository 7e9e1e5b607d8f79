/*
 * jsonout.h: JSON text written straight into a growing buffer, for the
 * replies and stored values made on every disclosure, where building a
 * jansson tree only to dump it cost more than the rest of the reply.
 *
 * The text is byte for byte what jansson's json_dumps() makes of the same
 * values with JSON_COMPACT (and JSON_ENSURE_ASCII when asked): the same
 * escapes, upper-case \uXXXX, surrogate pairs, keys in the order written.
 * Strings must be valid UTF-8, as json_string() requires: anything else
 * fails the whole text, as it fails json_pack().
 *
 * Usage: jsonout_init(), then values (a key before each member of an
 * object), then jsonout_finish(), which hands over the text or NULL if
 * anything failed (memory, UTF-8, unbalanced or mismatched nesting, a key
 * outside an object or a member without one).
 */
#ifndef JSONOUT_H
#define JSONOUT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Deeper than anything jansson parses (JSON_PARSER_MAX_DEPTH, 2048) wrapped
 * in a reply. */
#define JSONOUT_MAX_DEPTH	4096

struct jsonout {
	char		*buf;		/* owned until jsonout_finish() */
	size_t		 len, cap;
	int		 ascii;		/* JSON_ENSURE_ASCII: non-ASCII as \uXXXX */
	int		 wipe;		/* jsonout_sensitive() */
	int		 failed;
	int		 after_key;	/* the next value is a member's */
	unsigned	 depth;
	unsigned char	 any[JSONOUT_MAX_DEPTH / 8];	/* bit: a value written at that depth */
	unsigned char	 obj[JSONOUT_MAX_DEPTH / 8];	/* bit: that depth is an object */
};

void	 jsonout_init(struct jsonout *, int ensure_ascii);
/* The text is personal data: every buffer it outgrows, and the text if it
 * fails, is wiped whole before it is freed (wipe.h; the caller frees the
 * text it gets with wipe_free()). */
void	 jsonout_sensitive(struct jsonout *);
void	 jsonout_object_begin(struct jsonout *);
void	 jsonout_object_end(struct jsonout *);
void	 jsonout_array_begin(struct jsonout *);
void	 jsonout_array_end(struct jsonout *);
/* The name of the object member whose value comes next. */
void	 jsonout_key(struct jsonout *, const char *name);
void	 jsonout_string(struct jsonout *, const char *s);
void	 jsonout_stringn(struct jsonout *, const char *s, size_t len);
void	 jsonout_integer(struct jsonout *, int64_t v);
void	 jsonout_bool(struct jsonout *, int v);
void	 jsonout_null(struct jsonout *);
/* A real, as jansson writes one (%.17g, always with a '.' or an 'e'). */
void	 jsonout_real(struct jsonout *, double v);
/* Any jansson value, objects' members in their order (what json_dumps()
 * without JSON_SORT_KEYS writes); nesting counts against
 * JSONOUT_MAX_DEPTH. */
void	 jsonout_value(struct jsonout *, const json_t *v);
/* An array of strings. */
void	 jsonout_strings(struct jsonout *, const char *const *s, size_t n);
/* The text (malloc'd, NUL-terminated; its length in *len if len is not
 * NULL), or NULL if anything failed. The jsonout is spent either way. */
char	*jsonout_finish(struct jsonout *, size_t *len);

#endif
