/* SPDX-License-Identifier: MIT */
/*
 * Private parts of zoneio/: the reader object, the record a parser hands to the delegation
 * filter, the byte input (plain, gzip, stdin), wire-format name helpers and the set of yielded
 * names. Both master-file parsers (the fast tokenizer and the ldns reference) and the zone
 * transfer produce the same struct zs__zone_rr, so the delegation rules live in one place.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "scanner/base/mem.h"
#include "zoneio/reader.h"

#define ZS__NAME_MAX      255  /**< wire length of a domain name, with the root label */
#define ZS__NAME_TEXT_MAX 1024 /**< a name as text: 255 bytes escaped as \DDD, plus NUL */
#define ZS__INCLUDE_DEPTH 8    /**< $INCLUDE nesting allowed */
#define ZS__INCLUDE_FILES                                                 \
	256 /**< $INCLUDEs one zone may read in all (N per level, 8 deep, \
	         would otherwise read N^8 files) */
#define ZS__INCLUDE_BYTES  (4ULL << 30) /**< bytes of included files one zone may read */
#define ZS__STR_(x)        #x
#define ZS__STR(x)         ZS__STR_(x)
#define ZS__DEFAULT_ERRORS 20

enum {
	ZS__RR_A = 1,
	ZS__RR_NS = 2,
	ZS__RR_SOA = 6,
	ZS__RR_AAAA = 28,
	ZS__RR_DS = 43,
	ZS__CLASS_IN = 1,
};

/** One record as a parser hands it to the delegation filter. */
struct zs__zone_rr {
	const uint8_t *owner; /**< wire form, lower case, absolute */
	const uint8_t
	        *origin; /**< the $ORIGIN in force (wire), or NULL: names the apex if no SOA */
	uint16_t type;
	uint16_t rclass;
	union {
		const uint8_t *ns; /**< NS: the target, wire form, lower case */
		struct zs_zone_ds ds;
		uint8_t a[4];
		uint8_t aaaa[16];
		uint32_t serial; /**< SOA */
	} u;
	const char *file; /**< where it was read, for messages */
	unsigned long line;
	bool same_owner; /**< the owner is the previous record's (omitted): a hint, may be false */
};

/** Where the previous record's owner fell, for records that repeat it. */
enum zs__owner_kind {
	ZS__KIND_NONE,
	ZS__KIND_OUT,   /**< outside the zone */
	ZS__KIND_APEX,  /**< the apex */
	ZS__KIND_OWN,   /**< the name of the group */
	ZS__KIND_BELOW, /**< below the delegation of the group */
};

/** A source of records: a master-file parser or a zone transfer. */
struct zs__zone_src {
	/**
	 * The next record.
	 * @return 0, ZS_ERR_EOF, ZS_ERR_PARSE (strict mode stop), or another fatal code
	 */
	int (*next)(struct zs__zone_src *src, struct zs__zone_rr *rr);
	/** Free the source. */
	void (*close)(struct zs__zone_src *src);
};

#define ZS__NAMESET_SEGMENTS 64

/** One segment of the set: open addressing, linear probing, grown on its own. */
struct zs__nameset_seg {
	uint64_t *slots; /**< pairs of words; a pair of zeros is an empty slot */
	uint32_t cap;    /**< slots, a power of two */
	uint32_t count;
};

/**
 * 128-bit hashes of names, for the delegations already yielded. The set is cut into segments
 * chosen by the hash, each doubled alone when 80% full, so that growing never holds two copies
 * of the whole set: memory stays about 16 / load bytes a name (20 to 40, 32 at one million).
 */
struct zs__nameset {
	struct zs__nameset_seg seg[ZS__NAMESET_SEGMENTS];
	size_t count;
	uint64_t seed;
};

/** A growable pool of bytes addressed by offsets, reset per delegation. */
struct zs__pool {
	uint8_t *data;
	size_t len;
	size_t cap;
};

struct zs__glue_cand {
	size_t owner; /**< offset of the owner's wire name in the pool */
	uint8_t family;
	uint8_t addr[16];
};

/** The delegation filter: groups records into delegations and yields each once. */
struct zs__deleg {
	uint8_t apex[ZS__NAME_MAX];
	bool has_apex;
	/* the group being gathered */
	bool active;
	bool has_ns;
	bool not_host; /**< the name is not a host name: never yielded, one error at its NS */
	uint64_t group_records; /**< records of the group, counted as late if it was yielded */
	uint64_t hash[2];       /**< of name, computed (and its slot prefetched) at the start */
	enum zs__owner_kind last_kind;
	uint8_t name[ZS__NAME_MAX];
	struct zs__pool pool;
	size_t *ns;       /**< offsets of NS targets in pool */
	uint16_t *ns_len; /**< their wire lengths */
	size_t ns_count;
	size_t ns_cap;
	struct zs_zone_ds *ds;
	size_t ds_count;
	size_t ds_cap;
	struct zs__glue_cand *cand;
	size_t cand_count;
	size_t cand_cap;
	/* the delegation handed out */
	struct zs_delegation out;
	char *text; /**< all strings of out */
	size_t text_cap;
	const char **ptrs; /**< ns, glue and glue_ns pointer arrays of out */
	size_t ptrs_cap;
	struct zs_zone_ds *out_ds;
	size_t out_ds_cap;
	struct zs__nameset yielded;
};

struct zs_zone_reader {
	struct zs_zone_opts opts;
	struct zs_zone_stats stats;
	struct zs_zone_error *errors; /**< opts.max_errors_kept slots */
	struct zs_arena arena;        /**< strings of errors and of the options */
	struct zs__zone_src *src;
	struct zs__deleg deleg;
	int sticky;             /**< a fatal status every further call returns */
	unsigned includes;      /**< $INCLUDEs opened so far */
	uint64_t include_bytes; /**< their sizes, added up */
	bool at_eof;
};

/* reader.c */

/**
 * Record a syntax error: counted, kept among the first errors, logged while kept.
 * @return ZS_ERR_PARSE when the reader is strict (the caller stops), else 0
 */
int zs__zone_error(struct zs_zone_reader *r, const char *file, unsigned long line, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/**
 * The real path of the directory of a zone file, where its $INCLUDEs may read.
 * @return owned by the caller (zs_free), or NULL for stdin or a path that cannot be resolved
 */
char *zs__zone_base_dir(const char *path);

/**
 * Resolve the argument of a $INCLUDE against the directory of the zone file, and count it
 * against the zone's budget: a regular file (never a FIFO, a device or a directory) inside that
 * directory, at most ZS__INCLUDE_FILES of them and ZS__INCLUDE_BYTES in all.
 * @param base_dir  the real path of the zone file's directory, NULL when there is none (stdin)
 * @param[out] out  on success the real path of the file, owned by the caller (zs_free); open it
 *                  with ZS__INPUT_REGULAR
 * @param[out] why  on failure a static reason
 * @return 0 or ZS_ERR_REFUSED
 */
int zs__zone_include_path(struct zs_zone_reader *r, const char *base_dir, const char *arg,
                          char **out, const char **why);

/**
 * Set the apex from its text ("bank" or "bank.").
 * @return 0 or ZS_ERR_PARSE
 */
int zs__zone_reader_set_origin(struct zs_zone_reader *r, const char *origin);

/** Allocate a reader with its options; used by the openers. @return never NULL */
struct zs_zone_reader *zs__zone_reader_new(const struct zs_zone_opts *opts);

/* ldns_reader.c */

/** Where the names of a record converted from ldns are kept. */
struct zs__rr_bufs {
	uint8_t owner[ZS__NAME_MAX];
	uint8_t target[ZS__NAME_MAX];
	uint8_t origin[ZS__NAME_MAX];
};

struct ldns_struct_rr;
struct ldns_struct_rdf;

/**
 * Fill a record for the delegation filter from an ldns_rr.
 * @param origin  the $ORIGIN in force, or NULL
 * @param b  storage for the names @p out points to
 */
void zs__ldns_convert(const struct ldns_struct_rr *rr, const struct ldns_struct_rdf *origin,
                      struct zs__rr_bufs *b, struct zs__zone_rr *out);

/**
 * A master-file source parsed with ldns_rr_new_frm_fp_l(), the reference.
 * @return 0 or -errno, ZS_ERR_GZIP
 */
int zs__ldns_src_open(struct zs_zone_reader *r, const char *path, struct zs__zone_src **out);

/* fast_reader.c */

/**
 * A master-file source parsed by the purpose-built tokenizer.
 * @return 0 or -errno, ZS_ERR_GZIP
 */
int zs__fast_src_open(struct zs_zone_reader *r, const char *path, struct zs__zone_src **out);

/* input.c */

struct zs__input;

/** Flags of zs__input_open(). */
enum {
	/** inflate a gzip file once before anything is read (needs a regular file) */
	ZS__INPUT_VERIFY = 1 << 0,
	/** refuse anything but a regular file, without blocking on a FIFO ($INCLUDE) */
	ZS__INPUT_REGULAR = 1 << 1,
};

/**
 * Open a byte input: a file, "-" for stdin; gzip is recognised by its magic bytes.
 * @param flags  ZS__INPUT_*
 * @return 0, ZS_ERR_GZIP, ZS_ERR_GZIP_STREAM (ZS__INPUT_VERIFY on gzip from a pipe), ZS_ERR_REFUSED
 *         (ZS__INPUT_REGULAR and not a regular file), or -errno
 */
int zs__input_open(const char *path, unsigned flags, struct zs__input **out);

/**
 * Read decompressed bytes.
 * @return the count (> 0), 0 at the end, ZS_ERR_GZIP or -errno
 */
ssize_t zs__input_read(struct zs__input *in, void *buf, size_t len);

/** The first read error met, or 0. */
int zs__input_error(const struct zs__input *in);

/** Bytes handed out so far. */
uint64_t zs__input_bytes(const struct zs__input *in);

/** Close; NULL is a no-op. */
void zs__input_close(struct zs__input *in);

/* name.c */

/** Length of a wire name, root label included. */
size_t zs__name_len(const uint8_t *name);

/** Number of labels, the root not counted. */
unsigned zs__name_labels(const uint8_t *name);

/** Lower-case the ASCII letters of a wire name in place. */
void zs__name_lower(uint8_t *name);

/** Whether two lower-cased wire names are equal. */
bool zs__name_eq(const uint8_t *a, const uint8_t *b);

/** Whether @p name is at or below @p apex (both lower case); strictly below if @p strict. */
bool zs__name_below(const uint8_t *name, const uint8_t *apex, bool strict);

/**
 * The text form of a wire name: lower case as given, no final dot, "." for the root, special
 * characters as \X and other bytes as \DDD.
 * @param out  at least ZS__NAME_TEXT_MAX bytes
 * @return the length written (without the NUL)
 */
size_t zs__name_to_text(const uint8_t *name, char *out);

/** Initialise an empty set. */
void zs__nameset_init(struct zs__nameset *s);
/** Free the set. */
void zs__nameset_deinit(struct zs__nameset *s);
/** Add a name. @return true if it was new */
bool zs__nameset_add(struct zs__nameset *s, const uint8_t *name);
/** The hash of a name; prefetches its slot. */
void zs__nameset_hash(const struct zs__nameset *s, const uint8_t *name, uint64_t h[2]);
/** Add a hash from zs__nameset_hash(). @return true if it was new */
bool zs__nameset_add_hash(struct zs__nameset *s, const uint64_t h[2]);
/** Whether a name is in the set. */
bool zs__nameset_has(const struct zs__nameset *s, const uint8_t *name);

/* deleg.c */

/** Initialise the filter; the apex is set from opts->origin or by the first record. */
void zs__deleg_init(struct zs__deleg *d);
/** Free everything. */
void zs__deleg_deinit(struct zs__deleg *d);
/** Set the apex (lower case wire). */
void zs__deleg_set_apex(struct zs__deleg *d, const uint8_t *apex);

/**
 * Feed one record.
 * @param[out] out  set when the record ended a delegation's group: the delegation, valid until
 *                  the next call
 * @return 0, or ZS_ERR_PARSE when the apex cannot be known (recorded as an error)
 */
int zs__deleg_add(struct zs_zone_reader *r, const struct zs__zone_rr *rr,
                  const struct zs_delegation **out);

/**
 * End of input: yield the last group if it is a delegation.
 * @return true and @p out set when there is one
 */
bool zs__deleg_finish(struct zs_zone_reader *r, const struct zs_delegation **out);
