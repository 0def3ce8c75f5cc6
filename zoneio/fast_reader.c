/* SPDX-License-Identifier: MIT */
/*
 * The fast master-file parser: a tokenizer built for what a delegation scan needs. It reads the
 * whole RFC 1035 syntax ($ORIGIN, $TTL, $INCLUDE, parentheses, comments, quoted strings, \DDD and
 * \X escapes, omitted owner, TTL and class in either order, relative and absolute names, TYPEnnn,
 * CLASSnnn and the RFC 3597 \# form), but it decodes the rdata of NS, DS, A, AAAA and SOA only;
 * the rdata of every other type is tokenized (quotes, parentheses, escapes and bytes checked)
 * and skipped. Owners of every record are parsed, because they end groups and stand in for
 * omitted owners.
 *
 * Input is read in 1 MiB blocks with a NUL sentinel after the data, so the inner loops test one
 * byte class table and no bounds. A record is parsed from its first byte each time: when the
 * block ends inside it, the unread tail moves to the front, the block is refilled and the record
 * starts again (records are short, so this is rare and cheap). A logical record may not exceed
 * 64 KiB: a longer line is an error at that line and is skipped without being held in memory;
 * an unclosed parenthesis is an error at the line that opened it and reading resumes on the next
 * line, so one bad record cannot swallow the rest of the zone. Bytes below 0x20 other than tab,
 * CR and LF are binary garbage and an error at their line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "scanner/base/err.h"
#include "zoneio/reader_int.h"

#define BUF_SIZE   (1024 * 1024)
#define MAX_RECORD (64 * 1024)

/* Byte classes for the tokenizer. */
#define C_STOP 1 /* ends an unquoted token: space, tab, CR, LF, ; ( ) " NUL, control bytes */
#define C_WS   2 /* space, tab, CR */
#define C_CTRL 4 /* binary garbage */
#define C_ESC  8 /* backslash */

static uint8_t cls[256];
static int8_t hexv[256];
static bool name_plain[256]; /**< copied as is into a label (lower-cased) */
static uint8_t lower[256];

static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

struct frame {
	struct zs__input *in;
	char *path;
	char *buf; /**< BUF_SIZE + 1 bytes; buf[len] is a NUL sentinel */
	size_t len;
	size_t pos;
	bool eof;     /**< the input has no more bytes after buf[len] */
	bool discard; /**< skipping the rest of an over-long line */
	unsigned long line;
	uint64_t base_off; /**< offset in the input of buf[0] */
	uint64_t err_at;   /**< 1 + offset of the record whose error was reported */
	/* what the includer had, restored when this file ends */
	uint8_t saved_origin[ZS__NAME_MAX];
	bool saved_has_origin;
	uint8_t saved_owner[ZS__NAME_MAX];
	bool saved_has_owner;
};

struct fast_src {
	struct zs__zone_src base;
	struct zs_zone_reader *r;
	struct frame frames[ZS__INCLUDE_DEPTH + 1];
	int depth;
	char *base_dir;
	uint64_t done_bytes;
	uint8_t origin[ZS__NAME_MAX];
	bool has_origin;
	uint8_t owner[ZS__NAME_MAX]; /**< the current owner, kept for omitted owners */
	bool has_owner;
	bool owner_reset; /**< owner changed since the last record handed out */
	uint8_t target[ZS__NAME_MAX];
	uint8_t scratch[ZS__NAME_MAX];
	uint8_t rdata[65536]; /**< decoded \# rdata */
	char msg[256];        /**< an error message with details */
};

struct tok {
	const char *p;
	size_t n;
	bool quoted;
};

/* The state of one record's parse; committed to the frame only when the record is done. */
struct lex {
	const char *p;
	const char *end;
	unsigned long line;
	unsigned long start_line;
	int depth;
	bool eof;
	const char *err;
	unsigned long err_line;
	bool hard;  /**< the error is in the text's structure (quote, parenthesis, bytes) */
	bool ended; /**< the last lex_next() returned L_EOL: the record is over */
};

enum { L_TOKEN, L_EOL, L_MORE, L_ERR };

/* What parse_record() did. */
enum { R_RECORD, R_NONE, R_MORE, R_ERROR };

static int lex_fail(struct lex *x, const char *msg, bool hard)
{
	x->err = msg;
	x->err_line = x->line;
	x->hard = hard;
	return L_ERR;
}

static int lex_next(struct lex *x, struct tok *t)
{
	/* The common case first: blanks, then a plain token that ends inside the block. */
	const char *p0 = x->p;
	while (cls[(uint8_t)*p0] & C_WS) {
		p0++;
	}
	x->p = p0;
	if (!(cls[(uint8_t)*p0] & (C_STOP | C_ESC))) {
		const char *q = p0 + 1;
		while (!(cls[(uint8_t)*q] & (C_STOP | C_ESC))) {
			q++;
		}
		if (*q != '\\' && (*q != '\0' || q != x->end)) {
			t->p = p0;
			t->n = (size_t)(q - p0);
			t->quoted = false;
			x->p = q;
			return L_TOKEN;
		}
	}
	for (;;) {
		const char *p = x->p;
		uint8_t c = (uint8_t)*p;
		if (cls[c] & C_WS) {
			x->p++;
			continue;
		}
		switch (c) {
		case '\n':
			x->line++;
			x->p++;
			if (x->depth == 0) {
				x->ended = true;
				return L_EOL;
			}
			continue;
		case ';': {
			const char *nl = memchr(p, '\n', (size_t)(x->end - p));
			if (nl == NULL) {
				if (!x->eof) {
					return L_MORE;
				}
				x->p = x->end;
			} else {
				x->p = nl;
			}
			continue;
		}
		case '(':
			x->depth++;
			x->p++;
			continue;
		case ')':
			if (x->depth == 0) {
				return lex_fail(x, "unbalanced parenthesis", true);
			}
			x->depth--;
			x->p++;
			continue;
		case '\0':
			if (p == x->end) {
				if (!x->eof) {
					return L_MORE;
				}
				if (x->depth > 0) {
					return lex_fail(x, "unbalanced parenthesis", true);
				}
				x->ended = true;
				return L_EOL;
			}
			return lex_fail(x, "binary data", true);
		case '"': {
			const char *q = p + 1;
			for (;;) {
				uint8_t d = (uint8_t)*q;
				if (d == '"') {
					break;
				}
				if (d == '\n') {
					return lex_fail(x, "unbalanced quote", true);
				}
				if (d == '\0' || (d == '\\' && q + 1 == x->end)) {
					if (q + (d == '\\') == x->end) {
						if (!x->eof) {
							return L_MORE;
						}
						return lex_fail(x, "unbalanced quote", true);
					}
					return lex_fail(x, "binary data", true);
				}
				if (d == '\\') {
					uint8_t e = (uint8_t)q[1];
					if (e == '\n') {
						return lex_fail(x, "unbalanced quote", true);
					}
					if ((cls[e] & C_CTRL) && e != '\t') {
						return lex_fail(x, "binary data", true);
					}
					q += 2;
					continue;
				}
				if ((cls[d] & C_CTRL) && d != '\t') {
					return lex_fail(x, "binary data", true);
				}
				q++;
			}
			t->p = p + 1;
			t->n = (size_t)(q - p - 1);
			t->quoted = true;
			x->p = q + 1;
			return L_TOKEN;
		}
		default:
			break;
		}
		if (cls[c] & C_CTRL) {
			return lex_fail(x, "binary data", true);
		}
		const char *q = p;
		for (;;) {
			while (!(cls[(uint8_t)*q] & (C_STOP | C_ESC))) {
				q++;
			}
			if (*q == '\\') {
				if (q + 1 >= x->end) {
					if (!x->eof) {
						return L_MORE;
					}
					return lex_fail(x, "escape at the end of the input", false);
				}
				if (cls[(uint8_t)q[1]] & C_CTRL) {
					return lex_fail(x, "binary data", true);
				}
				if (q[1] == '\n') {
					return lex_fail(x, "escaped line break", false);
				}
				q += 2;
				continue;
			}
			break;
		}
		if (*q == '\0' && q == x->end && !x->eof) {
			return L_MORE;
		}
		t->p = p;
		t->n = (size_t)(q - p);
		t->quoted = false;
		x->p = q;
		return L_TOKEN;
	}
}

/* A domain name from its text; NULL on success or the reason. */
static const char *parse_name(const struct tok *t, const uint8_t *origin, bool has_origin,
                              uint8_t *out)
{
	const char *p = t->p;
	size_t n = t->n;
	size_t lab = 0; /* where the current label's length byte goes */
	size_t w = 1;   /* next byte to write */
	size_t llen = 0;
	bool absolute = false;

	if (n == 0 || t->quoted) {
		return "bad domain name";
	}
	if (n == 1 && p[0] == '@') {
		if (!has_origin) {
			return "@ without $ORIGIN";
		}
		memcpy(out, origin, zs__name_len(origin));
		return NULL;
	}
	if (n == 1 && p[0] == '.') {
		out[0] = 0;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		/* The common case: a run of plain bytes, lower-cased through a table. */
		size_t lim = lab + 64 < ZS__NAME_MAX - 1 ? lab + 64 : ZS__NAME_MAX - 1;
		while (i < n && name_plain[(uint8_t)p[i]] && w < lim) {
			out[w++] = lower[(uint8_t)p[i++]];
		}
		llen = w - lab - 1;
		if (i == n) {
			break;
		}
		uint8_t c = (uint8_t)p[i];
		if (c == '.') {
			if (llen == 0) {
				return "empty label in domain name";
			}
			out[lab] = (uint8_t)llen;
			lab = w++;
			llen = 0;
			if (i + 1 == n) {
				absolute = true;
			}
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= n) {
				return "bad escape in domain name";
			}
			c = (uint8_t)p[++i];
			if (c >= '0' && c <= '9') {
				if (i + 2 >= n || p[i + 1] < '0' || p[i + 1] > '9' ||
				    p[i + 2] < '0' || p[i + 2] > '9') {
					return "bad \\DDD escape in domain name";
				}
				unsigned v = (unsigned)(c - '0') * 100 +
				             (unsigned)(p[i + 1] - '0') * 10 +
				             (unsigned)(p[i + 2] - '0');
				if (v > 255) {
					return "bad \\DDD escape in domain name";
				}
				c = (uint8_t)v;
				i += 2;
			}
		}
		if (llen == 63) {
			return "label longer than 63 bytes";
		}
		if (w >= ZS__NAME_MAX - 1) {
			return "domain name longer than 255 bytes";
		}
		if (c >= 'A' && c <= 'Z') {
			c = (uint8_t)(c + ('a' - 'A'));
		}
		out[w++] = c;
		llen++;
	}
	if (absolute) {
		out[lab] = 0;
		return NULL;
	}
	out[lab] = (uint8_t)llen;
	if (!has_origin) {
		return "relative domain name without $ORIGIN";
	}
	size_t olen = zs__name_len(origin);
	if (w + olen > ZS__NAME_MAX) {
		return "domain name longer than 255 bytes";
	}
	memcpy(out + w, origin, olen);
	return NULL;
}

static bool tok_ieq(const struct tok *t, const char *s)
{
	size_t n = strlen(s);
	return t->n == n && strncasecmp(t->p, s, n) == 0;
}

/* A decimal number up to max; false if it is not one. */
static bool parse_uint(const struct tok *t, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (t->n == 0 || t->n > 10 || t->quoted) {
		return false;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9') {
			return false;
		}
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > max) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* A TTL: seconds, or BIND units (1w2d3h4m5s). */
static bool parse_ttl(const struct tok *t, uint32_t *out)
{
	uint64_t total = 0;
	uint64_t v = 0;
	bool digits = false;
	bool units = false;
	if (t->n == 0 || t->quoted) {
		return false;
	}
	for (size_t i = 0; i < t->n; i++) {
		char c = t->p[i];
		if (c >= '0' && c <= '9') {
			v = v * 10 + (uint64_t)(c - '0');
			if (v > UINT32_MAX) {
				return false;
			}
			digits = true;
			continue;
		}
		uint64_t mult;
		switch (c | 0x20) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case 'w':
			mult = 604800;
			break;
		default:
			return false;
		}
		if (!digits) {
			return false;
		}
		total += v * mult;
		v = 0;
		digits = false;
		units = true;
	}
	if (digits) {
		total += v;
	} else if (!units) {
		return false;
	}
	if (total > UINT32_MAX) {
		return false;
	}
	*out = (uint32_t)total;
	return true;
}

static bool parse_class(const struct tok *t, uint16_t *out)
{
	uint32_t v;
	if (t->quoted || t->n < 2) {
		return false;
	}
	char c0 = (char)(t->p[0] | 0x20);
	if (t->n == 2 && c0 == 'i' && (t->p[1] | 0x20) == 'n') {
		*out = 1;
		return true;
	}
	if (c0 != 'c' && c0 != 'h') {
		return false;
	}
	if (tok_ieq(t, "CH") || tok_ieq(t, "CS") || tok_ieq(t, "HS")) {
		*out = tok_ieq(t, "CS") ? 2 : tok_ieq(t, "CH") ? 3 : 4;
		return true;
	}
	if (t->n > 5 && strncasecmp(t->p, "CLASS", 5) == 0) {
		struct tok num = { t->p + 5, t->n - 5, false };
		if (parse_uint(&num, 65535, &v)) {
			*out = (uint16_t)v;
			return true;
		}
	}
	return false;
}

/* Type mnemonics looked up without ldns; the rest go to ldns_get_rr_type_by_name(). */
static const struct {
	const char *name;
	uint16_t type;
} common_types[] = {
	{ "NS", 2 },      { "DS", 43 },   { "A", 1 },           { "AAAA", 28 },   { "SOA", 6 },
	{ "RRSIG", 46 },  { "NSEC", 47 }, { "NSEC3", 50 },      { "DNSKEY", 48 }, { "TXT", 16 },
	{ "MX", 15 },     { "CNAME", 5 }, { "NSEC3PARAM", 51 }, { "CDS", 59 },    { "CDNSKEY", 60 },
	{ "PTR", 12 },    { "SRV", 33 },  { "CAA", 257 },       { "TLSA", 52 },   { "HINFO", 13 },
	{ "ZONEMD", 63 }, { "SPF", 99 },
};

#define N_COMMON (sizeof(common_types) / sizeof(common_types[0]))

static uint64_t common_keys[N_COMMON];

/* Up to 8 bytes of a mnemonic, upper case, packed into a word; 0 if longer. */
static uint64_t type_key(const char *p, size_t n)
{
	uint64_t k = 0;
	if (n > 8) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)p[i];
		if (c >= 'a' && c <= 'z') {
			c = (uint8_t)(c - ('a' - 'A'));
		}
		k = k << 8 | c;
	}
	return k;
}

static uint16_t parse_type(const struct tok *t)
{
	uint32_t v;
	if (t->quoted || t->n == 0 || t->n > 32) {
		return 0;
	}
	uint64_t key = type_key(t->p, t->n);
	for (size_t i = 0; key != 0 && i < N_COMMON; i++) {
		if (common_keys[i] == key) {
			return common_types[i].type;
		}
	}
	if (t->n > 4 && strncasecmp(t->p, "TYPE", 4) == 0) {
		struct tok num = { t->p + 4, t->n - 4, false };
		if (parse_uint(&num, 65535, &v)) {
			return (uint16_t)v;
		}
		return 0;
	}
	char name[40];
	memcpy(name, t->p, t->n);
	name[t->n] = '\0';
	return (uint16_t)ldns_get_rr_type_by_name(name);
}

/* DNSSEC algorithm: a number or a mnemonic (RFC 8624 and the IANA registry). */
static bool parse_alg(const struct tok *t, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t alg;
	} algs[] = {
		{ "RSAMD5", 1 },
		{ "DH", 2 },
		{ "DSA", 3 },
		{ "RSASHA1", 5 },
		{ "DSA-NSEC3-SHA1", 6 },
		{ "RSASHA1-NSEC3-SHA1", 7 },
		{ "RSASHA256", 8 },
		{ "RSASHA512", 10 },
		{ "ECC-GOST", 12 },
		{ "ECDSAP256SHA256", 13 },
		{ "ECDSAP384SHA384", 14 },
		{ "ED25519", 15 },
		{ "ED448", 16 },
		{ "INDIRECT", 252 },
		{ "PRIVATEDNS", 253 },
		{ "PRIVATEOID", 254 },
	};
	uint32_t v;
	if (parse_uint(t, 255, &v)) {
		*out = (uint8_t)v;
		return true;
	}
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (tok_ieq(t, algs[i].name)) {
			*out = algs[i].alg;
			return true;
		}
	}
	return false;
}

static int hexval(char c)
{
	return hexv[(uint8_t)c];
}

/* Hex tokens up to the end of the record, decoded into out (NULL: only checked). */
static int read_hex(struct lex *x, uint8_t *out, size_t cap, size_t *len, bool need_one)
{
	struct tok t;
	size_t nibbles = 0;
	bool any = false;
	for (;;) {
		int lr = lex_next(x, &t);
		if (lr == L_EOL) {
			break;
		}
		if (lr != L_TOKEN) {
			return lr;
		}
		if (t.quoted) {
			return lex_fail(x, "bad hex data", false);
		}
		any = true;
		for (size_t i = 0; i < t.n; i++) {
			int v = hexval(t.p[i]);
			if (v < 0) {
				return lex_fail(x, "bad hex data", false);
			}
			if (out != NULL) {
				if (nibbles / 2 >= cap) {
					return lex_fail(x, "hex data longer than declared", false);
				}
				if (nibbles % 2 == 0) {
					out[nibbles / 2] = (uint8_t)(v << 4);
				} else {
					out[nibbles / 2] |= (uint8_t)v;
				}
			}
			nibbles++;
		}
	}
	if (nibbles % 2 != 0) {
		return lex_fail(x, "odd number of hex digits", false);
	}
	if (need_one && !any) {
		return lex_fail(x, "missing hex data", false);
	}
	*len = nibbles / 2;
	return L_EOL;
}

/* A wire-format name at the start of rdata; its length, or 0 if malformed. */
static size_t wire_name(const uint8_t *p, size_t len, uint8_t *out)
{
	size_t i = 0;
	while (i < len) {
		uint8_t l = p[i];
		if (l == 0) {
			if (i + 1 > ZS__NAME_MAX) {
				return 0;
			}
			memcpy(out, p, i + 1);
			zs__name_lower(out);
			return i + 1;
		}
		if (l > 63 || i + 1 + l >= len) {
			return 0;
		}
		i += 1 + (size_t)l;
	}
	return 0;
}

/* RFC 3597 rdata of a type we decode. */
static int generic_rdata(struct fast_src *s, struct lex *x, struct zs__zone_rr *rr)
{
	struct tok t;
	uint32_t declared;
	size_t len = 0;
	int lr = lex_next(x, &t);
	if (lr != L_TOKEN) {
		return lr == L_EOL ? lex_fail(x, "missing \\# length", false) : lr;
	}
	if (!parse_uint(&t, 65535, &declared)) {
		return lex_fail(x, "bad \\# length", false);
	}
	lr = read_hex(x, s->rdata, declared, &len, false);
	if (lr != L_EOL) {
		return lr;
	}
	if (len != declared) {
		return lex_fail(x, "\\# length does not match the data", false);
	}
	switch (rr->type) {
	case ZS__RR_NS:
		if (wire_name(s->rdata, len, s->target) != len) {
			return lex_fail(x, "bad NS rdata", false);
		}
		rr->u.ns = s->target;
		break;
	case ZS__RR_A:
		if (len != 4) {
			return lex_fail(x, "bad A rdata", false);
		}
		memcpy(rr->u.a, s->rdata, 4);
		break;
	case ZS__RR_AAAA:
		if (len != 16) {
			return lex_fail(x, "bad AAAA rdata", false);
		}
		memcpy(rr->u.aaaa, s->rdata, 16);
		break;
	case ZS__RR_DS:
		if (len < 4) {
			return lex_fail(x, "bad DS rdata", false);
		}
		rr->u.ds.keytag = (uint16_t)(s->rdata[0] << 8 | s->rdata[1]);
		rr->u.ds.algorithm = s->rdata[2];
		rr->u.ds.digest_type = s->rdata[3];
		break;
	case ZS__RR_SOA: {
		size_t a = wire_name(s->rdata, len, s->scratch);
		size_t b = a > 0 ? wire_name(s->rdata + a, len - a, s->scratch) : 0;
		if (a == 0 || b == 0 || a + b + 20 != len) {
			return lex_fail(x, "bad SOA rdata", false);
		}
		const uint8_t *q = s->rdata + a + b;
		rr->u.serial =
		        (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
		break;
	}
	default:
		break;
	}
	return L_EOL;
}

static int expect_eol(struct lex *x)
{
	struct tok t;
	int lr = lex_next(x, &t);
	if (lr == L_TOKEN) {
		return lex_fail(x, "trailing data in record", false);
	}
	return lr;
}

static int next_field(struct lex *x, struct tok *t, const char *missing)
{
	int lr = lex_next(x, t);
	if (lr == L_EOL) {
		lr = lex_fail(x, missing, false);
		x->err_line--; /* the newline that ended the record was counted already */
	}
	return lr;
}

static int parse_addr(struct lex *x, int af, uint8_t *out)
{
	struct tok t;
	char text[INET6_ADDRSTRLEN + 1];
	int lr = next_field(x, &t, "missing address");
	if (lr != L_TOKEN) {
		return lr;
	}
	if (t.quoted || t.n >= sizeof(text)) {
		return lex_fail(x, af == AF_INET ? "bad IPv4 address" : "bad IPv6 address", false);
	}
	memcpy(text, t.p, t.n);
	text[t.n] = '\0';
	if (inet_pton(af, text, out) != 1) {
		return lex_fail(x, af == AF_INET ? "bad IPv4 address" : "bad IPv6 address", false);
	}
	return expect_eol(x);
}

static int parse_rdata(struct fast_src *s, struct lex *x, struct zs__zone_rr *rr)
{
	struct tok t;
	const char *why;
	uint32_t v;
	int lr;

	/* RFC 3597: "\#" as the first rdata token, for any type. A cheap look first. */
	const char *peek = x->p;
	while (cls[(uint8_t)*peek] & C_WS) {
		peek++;
	}
	if ((peek[0] == '\\' && peek[1] == '#') || peek[0] == '(' || peek[0] == '\n' ||
	    peek[0] == ';') {
		const char *save_p = x->p;
		unsigned long save_line = x->line;
		int save_depth = x->depth;
		lr = lex_next(x, &t);
		if (lr == L_TOKEN && !t.quoted && t.n == 2 && t.p[0] == '\\' && t.p[1] == '#') {
			return generic_rdata(s, x, rr);
		}
		if (lr != L_TOKEN && lr != L_EOL) {
			return lr;
		}
		x->p = save_p;
		x->line = save_line;
		x->depth = save_depth;
		x->ended = false;
	}

	switch (rr->type) {
	case ZS__RR_NS:
		lr = next_field(x, &t, "missing NS target");
		if (lr != L_TOKEN) {
			return lr;
		}
		why = parse_name(&t, s->origin, s->has_origin, s->target);
		if (why != NULL) {
			return lex_fail(x, why, false);
		}
		rr->u.ns = s->target;
		return expect_eol(x);
	case ZS__RR_A:
		return parse_addr(x, AF_INET, rr->u.a);
	case ZS__RR_AAAA:
		return parse_addr(x, AF_INET6, rr->u.aaaa);
	case ZS__RR_DS: {
		size_t len;
		lr = next_field(x, &t, "missing DS key tag");
		if (lr != L_TOKEN) {
			return lr;
		}
		if (!parse_uint(&t, 65535, &v)) {
			return lex_fail(x, "bad DS key tag", false);
		}
		rr->u.ds.keytag = (uint16_t)v;
		lr = next_field(x, &t, "missing DS algorithm");
		if (lr != L_TOKEN) {
			return lr;
		}
		if (!parse_alg(&t, &rr->u.ds.algorithm)) {
			return lex_fail(x, "bad DS algorithm", false);
		}
		lr = next_field(x, &t, "missing DS digest type");
		if (lr != L_TOKEN) {
			return lr;
		}
		if (!parse_uint(&t, 255, &v)) {
			return lex_fail(x, "bad DS digest type", false);
		}
		rr->u.ds.digest_type = (uint8_t)v;
		return read_hex(x, NULL, 0, &len, true);
	}
	case ZS__RR_SOA:
		for (int i = 0; i < 2; i++) {
			lr = next_field(x, &t, "missing SOA field");
			if (lr != L_TOKEN) {
				return lr;
			}
			why = parse_name(&t, s->origin, s->has_origin, s->scratch);
			if (why != NULL) {
				return lex_fail(x, why, false);
			}
		}
		lr = next_field(x, &t, "missing SOA serial");
		if (lr != L_TOKEN) {
			return lr;
		}
		if (!parse_uint(&t, UINT32_MAX, &rr->u.serial)) {
			return lex_fail(x, "bad SOA serial", false);
		}
		for (int i = 0; i < 4; i++) {
			lr = next_field(x, &t, "missing SOA field");
			if (lr != L_TOKEN) {
				return lr;
			}
			if (!parse_ttl(&t, &v)) {
				return lex_fail(x, "bad SOA timer", false);
			}
		}
		return expect_eol(x);
	default:
		for (;;) {
			lr = lex_next(x, &t);
			if (lr != L_TOKEN) {
				return lr;
			}
		}
	}
}

enum { RS_DONE, RS_MORE, RS_HARD };

/* Skip what is left of a bad record, up to its end. */
static int resync(struct lex *x)
{
	struct tok t;
	if (x->hard) {
		return RS_HARD;
	}
	while (!x->ended) {
		int lr = lex_next(x, &t);
		if (lr == L_MORE) {
			return RS_MORE;
		}
		if (lr == L_ERR) {
			return RS_HARD;
		}
	}
	return RS_DONE;
}

/* @param flags  ZS__INPUT_REGULAR for a $INCLUDE */
static int push_file(struct fast_src *s, const char *path, unsigned flags)
{
	struct frame *f = &s->frames[s->depth];
	int ret = zs__input_open(path, flags | (s->r->opts.verify_gzip ? ZS__INPUT_VERIFY : 0),
	                         &f->in);
	if (ret != 0) {
		return ret;
	}
	f->path = zs_strdup(path);
	if (f->buf == NULL) {
		f->buf = zs_malloc(BUF_SIZE + 1);
	}
	f->len = 0;
	f->pos = 0;
	f->buf[0] = '\0';
	f->eof = false;
	f->discard = false;
	f->line = 1;
	f->base_off = 0;
	f->err_at = 0;
	s->depth++;
	return 0;
}

static void pop_file(struct fast_src *s)
{
	struct frame *f = &s->frames[--s->depth];
	s->done_bytes += zs__input_bytes(f->in);
	zs__input_close(f->in);
	f->in = NULL;
	zs_free(f->path);
	f->path = NULL;
	if (s->depth > 0) {
		memcpy(s->origin, f->saved_origin, sizeof(s->origin));
		s->has_origin = f->saved_has_origin;
		memcpy(s->owner, f->saved_owner, sizeof(s->owner));
		s->has_owner = f->saved_has_owner;
		s->owner_reset = true;
	}
}

/* An error found once the whole directive line is read: it is at the line it started on. */
static int dir_fail(struct lex *x, const char *msg, bool hard)
{
	(void)lex_fail(x, msg, hard);
	x->err_line = x->start_line;
	return L_ERR;
}

static int directive(struct fast_src *s, struct frame *f, struct lex *x, const struct tok *kw)
{
	struct zs_zone_reader *r = s->r;
	struct tok w[3];
	int n = 0;
	const char *why;

	if (!tok_ieq(kw, "$ORIGIN") && !tok_ieq(kw, "$TTL") && !tok_ieq(kw, "$INCLUDE")) {
		return lex_fail(x, "unknown directive", false);
	}
	for (;;) {
		struct tok t;
		int lr = lex_next(x, &t);
		if (lr == L_EOL) {
			break;
		}
		if (lr != L_TOKEN) {
			return lr;
		}
		if (n == 3) {
			return lex_fail(x, "trailing data after directive", false);
		}
		w[n++] = t;
	}
	if (tok_ieq(kw, "$ORIGIN") && n == 1) {
		why = parse_name(&w[0], s->origin, s->has_origin, s->scratch);
		if (why != NULL) {
			return dir_fail(x, why, false);
		}
		memcpy(s->origin, s->scratch, zs__name_len(s->scratch));
		s->has_origin = true;
		return L_EOL;
	}
	if (tok_ieq(kw, "$TTL") && n == 1) {
		uint32_t ttl;
		if (!parse_ttl(&w[0], &ttl)) {
			return dir_fail(x, "bad $TTL", false);
		}
		return L_EOL;
	}
	if (!tok_ieq(kw, "$INCLUDE") || n < 1 || n > 2) {
		return dir_fail(x, "malformed directive", false);
	}
	/* $INCLUDE file [origin] */
	char file[4096];
	char *path = NULL;
	const char *refused = NULL;
	uint8_t origin[ZS__NAME_MAX];
	if (w[0].n >= sizeof(file) || memchr(w[0].p, '\0', w[0].n) != NULL) {
		return dir_fail(x, "bad $INCLUDE file name", false);
	}
	memcpy(file, w[0].p, w[0].n);
	file[w[0].n] = '\0';
	if (n == 2) {
		why = parse_name(&w[1], s->origin, s->has_origin, origin);
		if (why != NULL) {
			return dir_fail(x, why, false);
		}
	}
	if (zs__zone_include_path(r, s->base_dir, file, &path, &refused) != 0) {
		(void)snprintf(s->msg, sizeof(s->msg), "$INCLUDE %.150s refused: %.80s", file,
		               refused);
		x->err_line = x->start_line;
		x->err = s->msg;
		return L_ERR;
	}
	if (s->depth > ZS__INCLUDE_DEPTH) {
		zs_free(path);
		return dir_fail(x, "$INCLUDE nested too deep", false);
	}
	/* The include takes effect now: commit this line first. */
	f->pos = (size_t)(x->p - f->buf);
	f->line = x->line;
	int ret = push_file(s, path, ZS__INPUT_REGULAR);
	zs_free(path);
	if (ret != 0) {
		(void)snprintf(s->msg, sizeof(s->msg), "$INCLUDE %.150s: %.80s", file,
		               zs_err_str(ret));
		x->err = s->msg;
		x->err_line = x->start_line;
		return L_ERR;
	}
	struct frame *inc = &s->frames[s->depth - 1];
	memcpy(inc->saved_origin, s->origin, sizeof(s->origin));
	inc->saved_has_origin = s->has_origin;
	memcpy(inc->saved_owner, s->owner, sizeof(s->owner));
	inc->saved_has_owner = s->has_owner;
	if (n == 2) {
		memcpy(s->origin, origin, zs__name_len(origin));
		s->has_origin = true;
	}
	return L_EOL;
}

/* Parse one entry at f->pos: a record, a directive, or a blank line. */
static int parse_record(struct fast_src *s, struct frame *f, struct zs__zone_rr *rr, struct lex *x)
{
	struct tok t;
	const char *why;
	int lr;

	x->p = f->buf + f->pos;
	x->end = f->buf + f->len;
	x->line = f->line;
	x->start_line = f->line;
	x->depth = 0;
	x->eof = f->eof;
	x->err = NULL;
	x->hard = false;
	x->ended = false;

	uint8_t c = (uint8_t)*x->p;
	if (c == '\0' && x->p == x->end && !x->eof) {
		return R_MORE;
	}
	if (c == '$') {
		lr = lex_next(x, &t);
		if (lr == L_TOKEN) {
			struct frame *before = &s->frames[s->depth - 1];
			lr = directive(s, f, x, &t);
			if (lr == L_EOL && &s->frames[s->depth - 1] != before) {
				return R_NONE; /* an include was pushed; f is already committed */
			}
		}
		goto end;
	}
	bool omitted = (cls[c] & C_WS) || c == '\n' || c == ';' || c == '(' ||
	               (c == '\0' && x->p == x->end);
	if (!omitted) {
		lr = lex_next(x, &t);
		if (lr != L_TOKEN) {
			goto end;
		}
		why = parse_name(&t, s->origin, s->has_origin, s->scratch);
		if (why != NULL) {
			lr = lex_fail(x, why, false);
			goto end;
		}
	}
	/* TTL and class in either order, then the type. */
	bool have_ttl = false;
	bool have_class = false;
	uint16_t rclass = ZS__CLASS_IN;
	uint16_t type = 0;
	for (;;) {
		lr = lex_next(x, &t);
		if (lr == L_EOL && omitted && !have_ttl && !have_class) {
			goto end; /* a blank or comment line */
		}
		if (lr == L_EOL) {
			lr = lex_fail(x, "missing type", false);
		}
		if (lr != L_TOKEN) {
			goto end;
		}
		uint32_t ttl;
		if (!have_ttl && !t.quoted && t.n > 0 && t.p[0] >= '0' && t.p[0] <= '9') {
			if (!parse_ttl(&t, &ttl)) {
				lr = lex_fail(x, "bad TTL", false);
				goto end;
			}
			have_ttl = true;
			continue;
		}
		if (!have_class && parse_class(&t, &rclass)) {
			have_class = true;
			continue;
		}
		type = parse_type(&t);
		if (type == 0) {
			lr = lex_fail(x, "unknown record type", false);
			goto end;
		}
		break;
	}
	if (!omitted) {
		memcpy(s->owner, s->scratch, zs__name_len(s->scratch));
		s->has_owner = true;
		s->owner_reset = true;
	} else if (!s->has_owner) {
		lr = lex_fail(x, "no previous owner for a record without owner", false);
		goto end;
	}
	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	rr->rclass = rclass;
	lr = parse_rdata(s, x, rr);
	if (lr == L_EOL && x->p - (f->buf + f->pos) > MAX_RECORD) {
		x->err = "record too long";
		x->err_line = x->start_line;
		x->hard = false;
		return R_ERROR; /* x->ended: nothing left to skip */
	}
	if (lr == L_EOL) {
		rr->owner = s->owner;
		rr->same_owner = omitted && !s->owner_reset;
		s->owner_reset = false;
		rr->origin = s->has_origin ? s->origin : NULL;
		rr->file = f->path;
		rr->line = x->start_line;
		f->pos = (size_t)(x->p - f->buf);
		f->line = x->line;
		return R_RECORD;
	}
end:
	if (lr == L_MORE) {
		return R_MORE;
	}
	if (lr == L_EOL) {
		f->pos = (size_t)(x->p - f->buf);
		f->line = x->line;
		return R_NONE;
	}
	return R_ERROR;
}

static int refill(struct fast_src *s, struct frame *f)
{
	size_t rest = f->len - f->pos;
	f->base_off += f->pos;
	memmove(f->buf, f->buf + f->pos, rest);
	f->len = rest;
	f->pos = 0;
	while (!f->eof && f->len < BUF_SIZE) {
		ssize_t n = zs__input_read(f->in, f->buf + f->len, BUF_SIZE - f->len);
		if (n < 0) {
			f->buf[f->len] = '\0';
			return (int)n;
		}
		if (n == 0) {
			f->eof = true;
			break;
		}
		f->len += (size_t)n;
		if (f->len - rest >= BUF_SIZE / 4) {
			break;
		}
	}
	f->buf[f->len] = '\0';
	s->r->stats.bytes = s->done_bytes;
	for (int i = 0; i < s->depth; i++) {
		s->r->stats.bytes += zs__input_bytes(s->frames[i].in);
	}
	return 0;
}

/*
 * The block ends inside a record: refill, unless the record is already too long, which is an
 * error at its line; then reading resumes after it (a line too long is skipped as it comes in,
 * an unclosed parenthesis after the line that opened it).
 */
static int need_more(struct fast_src *s, struct frame *f, int depth)
{
	if (f->len - f->pos >= MAX_RECORD) {
		int ret = zs__zone_error(s->r, f->path, f->line, "%s",
		                         depth > 0 ? "unbalanced parenthesis or record too long"
		                                   : "line too long");
		if (ret != 0) {
			return ret;
		}
		const char *nl = memchr(f->buf + f->pos, '\n', f->len - f->pos);
		if (depth > 0 && nl != NULL) {
			f->pos = (size_t)(nl + 1 - f->buf);
			f->line++;
		} else {
			f->discard = true;
			f->pos = f->len;
		}
		return 0;
	}
	int ret = refill(s, f);
	if (ret != 0) {
		(void)zs__zone_error(s->r, f->path, f->line, "%s", zs_err_str(ret));
	}
	return ret;
}

/* After a structural error: skip the line it is on (or that opened an unclosed parenthesis). */
static bool skip_line(struct frame *f, const struct lex *x)
{
	bool from_start = x->depth > 0 && x->p == x->end;
	const char *from = from_start ? f->buf + f->pos : x->p;
	const char *nl = memchr(from, '\n', (size_t)(f->buf + f->len - from));
	if (nl == NULL) {
		if (!f->eof) {
			return false;
		}
		f->pos = f->len;
		return true;
	}
	f->line = from_start ? f->line + 1 : x->line + 1;
	f->pos = (size_t)(nl + 1 - f->buf);
	return true;
}

static int fast_src_next(struct zs__zone_src *base, struct zs__zone_rr *rr)
{
	struct fast_src *s = (struct fast_src *)base;
	struct zs_zone_reader *r = s->r;
	int ret;

	for (;;) {
		struct frame *f = &s->frames[s->depth - 1];
		struct lex x;
		x.depth = 0;
		if (f->discard) {
			const char *nl = memchr(f->buf + f->pos, '\n', f->len - f->pos);
			if (nl != NULL) {
				f->pos = (size_t)(nl + 1 - f->buf);
				f->line++;
				f->discard = false;
				continue;
			}
			f->pos = f->len;
		}
		if (f->pos == f->len && f->eof) {
			r->stats.bytes = s->done_bytes;
			for (int i = 0; i < s->depth; i++) {
				r->stats.bytes += zs__input_bytes(s->frames[i].in);
			}
			if (s->depth == 1) {
				return ZS_ERR_EOF;
			}
			pop_file(s);
			continue;
		}
		int what = f->pos == f->len ? R_MORE : parse_record(s, f, rr, &x);
		if (what == R_RECORD) {
			return 0;
		}
		if (what == R_NONE) {
			continue;
		}
		if (what == R_ERROR) {
			/* Skip to the end first: a parenthesis that never closes is the real error.
			 */
			const char *msg = x.err;
			unsigned long line = x.err_line;
			int how = resync(&x);
			if (how == RS_HARD && x.depth > 0 && x.p == x.end) {
				msg = x.err;
				line = x.start_line; /* the parenthesis was opened there */
			}
			/* A record parsed again after a refill reports its error once. */
			uint64_t at = f->base_off + f->pos + 1;
			if (how != RS_MORE && f->err_at != at) {
				f->err_at = at;
				ret = zs__zone_error(r, f->path, line, "%s", msg);
				if (ret != 0) {
					return ret;
				}
			}
			if (how == RS_DONE) {
				f->pos = (size_t)(x.p - f->buf);
				f->line = x.line;
				continue;
			}
			if (how == RS_HARD && skip_line(f, &x)) {
				continue;
			}
		}
		ret = need_more(s, f, x.depth);
		if (ret != 0) {
			return ret;
		}
	}
}

static void fast_src_close(struct zs__zone_src *base)
{
	struct fast_src *s = (struct fast_src *)base;
	while (s->depth > 0) {
		pop_file(s);
	}
	for (int i = 0; i <= ZS__INCLUDE_DEPTH; i++) {
		zs_free(s->frames[i].buf);
	}
	zs_free(s->base_dir);
	zs_free(s);
}

static void cls_init(void)
{
	for (int c = 0; c < 0x20; c++) {
		cls[c] = C_STOP | C_CTRL;
	}
	cls['\t'] = C_STOP | C_WS;
	cls['\r'] = C_STOP | C_WS;
	cls[' '] = C_STOP | C_WS;
	cls['\n'] = C_STOP;
	cls[';'] = C_STOP;
	cls['('] = C_STOP;
	cls[')'] = C_STOP;
	cls['"'] = C_STOP;
	cls['\\'] = C_ESC;
	cls[0] = C_STOP | C_CTRL;
	for (int c = 0; c < 256; c++) {
		name_plain[c] = c != '.' && c != '\\';
		lower[c] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	for (size_t i = 0; i < N_COMMON; i++) {
		common_keys[i] = type_key(common_types[i].name, strlen(common_types[i].name));
	}
	for (int c = 0; c < 256; c++) {
		hexv[c] = -1;
	}
	for (int c = 0; c < 10; c++) {
		hexv['0' + c] = (int8_t)c;
	}
	for (int c = 0; c < 6; c++) {
		hexv['a' + c] = (int8_t)(10 + c);
		hexv['A' + c] = (int8_t)(10 + c);
	}
}

int zs__fast_src_open(struct zs_zone_reader *r, const char *path, struct zs__zone_src **out)
{
	struct fast_src *s = zs_calloc(1, sizeof(*s));
	int ret;

	(void)pthread_once(&cls_once, cls_init);
	s->base.next = fast_src_next;
	s->base.close = fast_src_close;
	s->r = r;
	s->owner_reset = true;
	if (r->deleg.has_apex) {
		memcpy(s->origin, r->deleg.apex, zs__name_len(r->deleg.apex));
		s->has_origin = true;
	}
	s->base_dir = zs__zone_base_dir(path);
	ret = push_file(s, path, 0);
	if (ret != 0) {
		goto fail;
	}
	*out = &s->base;
	return 0;
fail:
	fast_src_close(&s->base);
	return ret;
}
