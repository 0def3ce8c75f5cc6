/* SPDX-License-Identifier: MIT */
/*
 * Zone transfer (AXFR, RFC 5936) from the registry's primary as a record source: ldns sends the
 * query over TCP, signed with TSIG (RFC 8945) when a key is given, and hands out the records one
 * by one; they go through the same delegation filter as a zone file. A transfer is complete only
 * when the closing SOA has arrived: a connection that drops before is an error, never a shorter
 * zone. ldns signs the query but does not verify the TSIG of the answers; the primary refuses an
 * unsigned or wrongly signed query, which is what the key is for here.
 *
 * The key file is either BIND/NSD syntax, as tsig-keygen writes it:
 *     key "name" { algorithm hmac-sha256; secret "base64"; };
 * or one line as dig -y takes it: [algorithm:]name:secret.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "zoneio/reader_int.h"

#define AXFR_TIMEOUT_S 30
#define KEY_FILE_MAX   65536

struct axfr_src {
	struct zs__zone_src base;
	struct zs_zone_reader *r;
	ldns_resolver *res;
	ldns_rdf *zone;
	char *label; /**< "axfr://host:port/zone", for messages */
	uint64_t count;
	struct zs__rr_bufs names;
};

struct tsig_key {
	char name[256];
	char algorithm[64];
	char secret[1024];
};

/* Copy the next word or quoted string at *p into out; advance *p. */
static bool take_word(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;
	while (isspace((unsigned char)*s)) {
		s++;
	}
	if (*s == '"') {
		s++;
		while (*s != '\0' && *s != '"') {
			if (n + 1 >= cap) {
				return false;
			}
			out[n++] = *s++;
		}
		if (*s != '"') {
			return false;
		}
		s++;
	} else {
		while (*s != '\0' && !isspace((unsigned char)*s) && *s != ';' && *s != '{') {
			if (n + 1 >= cap) {
				return false;
			}
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	*p = s;
	return n > 0;
}

static const char *find_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strstr(text, word); p != NULL; p = strstr(p + 1, word)) {
		bool start =
		        p == text || isspace((unsigned char)p[-1]) || p[-1] == '{' || p[-1] == ';';
		if (start && isspace((unsigned char)p[n])) {
			return p + n;
		}
	}
	return NULL;
}

static bool copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap) {
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

static int parse_key(const char *text, struct tsig_key *k)
{
	memset(k, 0, sizeof(*k));
	const char *p = find_word(text, "key");
	if (p != NULL) {
		const char *alg = find_word(text, "algorithm");
		const char *sec = find_word(text, "secret");
		if (!take_word(&p, k->name, sizeof(k->name)) || alg == NULL || sec == NULL ||
		    !take_word(&alg, k->algorithm, sizeof(k->algorithm)) ||
		    !take_word(&sec, k->secret, sizeof(k->secret))) {
			return ZS_ERR_PARSE;
		}
		return 0;
	}
	/* [algorithm:]name:secret */
	char line[1400];
	size_t n = strcspn(text, "\r\n");
	if (n >= sizeof(line)) {
		return ZS_ERR_PARSE;
	}
	memcpy(line, text, n);
	line[n] = '\0';
	char *c1 = strchr(line, ':');
	char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
	if (c1 == NULL) {
		return ZS_ERR_PARSE;
	}
	*c1 = '\0';
	bool fits;
	if (c2 != NULL) {
		*c2 = '\0';
		fits = copy_field(k->algorithm, sizeof(k->algorithm), line) &&
		       copy_field(k->name, sizeof(k->name), c1 + 1) &&
		       copy_field(k->secret, sizeof(k->secret), c2 + 1);
	} else {
		fits = copy_field(k->algorithm, sizeof(k->algorithm), "hmac-sha256") &&
		       copy_field(k->name, sizeof(k->name), line) &&
		       copy_field(k->secret, sizeof(k->secret), c1 + 1);
	}
	if (!fits) {
		return ZS_ERR_PARSE;
	}
	return k->name[0] != '\0' && k->secret[0] != '\0' ? 0 : ZS_ERR_PARSE;
}

static int read_key(const char *path, struct tsig_key *k)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		int ret = -errno;
		zs_log_error(ZS_LOG_ZONE, "%s: %s", path, zs_err_str(ret));
		return ret;
	}
	char *text = zs_malloc(KEY_FILE_MAX + 1);
	size_t n = fread(text, 1, KEY_FILE_MAX, f);
	(void)fclose(f);
	text[n] = '\0';
	int ret = parse_key(text, k);
	zs_free(text);
	if (ret != 0) {
		zs_log_error(ZS_LOG_ZONE,
		             "%s: not a TSIG key (key \"name\" { algorithm ...; "
		             "secret \"...\"; }; or [algorithm:]name:secret)",
		             path);
	}
	return ret;
}

static void dotted(char *s, size_t cap)
{
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] != '.' && n + 1 < cap) {
		s[n] = '.';
		s[n + 1] = '\0';
	}
}

/* HOST[:PORT], [IPV6]:PORT or a bare IPv6 address. */
static int parse_server(const char *server, char *host, size_t cap, uint16_t *port)
{
	const char *colon = strrchr(server, ':');
	size_t hlen = strlen(server);
	*port = 53;
	if (server[0] == '[') {
		const char *close = strchr(server, ']');
		if (close == NULL) {
			return ZS_ERR_USAGE;
		}
		hlen = (size_t)(close - server - 1);
		server++;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL) {
			return ZS_ERR_USAGE;
		}
	} else if (colon != NULL && strchr(server, ':') != colon) {
		colon = NULL; /* a bare IPv6 address */
	} else if (colon != NULL) {
		hlen = (size_t)(colon - server);
	}
	if (colon != NULL) {
		char *end = NULL;
		errno = 0;
		long v = strtol(colon + 1, &end, 10);
		if (errno != 0 || end == colon + 1 || *end != '\0' || v < 1 || v > 65535) {
			return ZS_ERR_USAGE;
		}
		*port = (uint16_t)v;
	}
	if (hlen == 0 || hlen >= cap) {
		return ZS_ERR_USAGE;
	}
	memcpy(host, server, hlen);
	host[hlen] = '\0';
	return 0;
}

static int axfr_next(struct zs__zone_src *base, struct zs__zone_rr *out)
{
	struct axfr_src *s = (struct axfr_src *)base;
	ldns_rr *rr = ldns_axfr_next(s->res);
	if (rr == NULL) {
		if (ldns_axfr_complete(s->res)) {
			return ZS_ERR_EOF;
		}
		const ldns_pkt *last = ldns_axfr_last_pkt(s->res);
		int rcode = last != NULL ? (int)ldns_pkt_get_rcode(last) : -1;
		if (rcode > 0) {
			ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, rcode);
			(void)zs__zone_error(s->r, s->label, s->count, "transfer refused: %s",
			                     t != NULL ? t->name : "error");
			return ZS_ERR_REFUSED;
		}
		(void)zs__zone_error(s->r, s->label, s->count,
		                     "transfer ended before the closing SOA");
		return ZS_ERR_INCOMPLETE;
	}
	s->count++;
	s->r->stats.bytes += ldns_rr_uncompressed_size(rr);
	zs__ldns_convert(rr, s->zone, &s->names, out);
	out->file = s->label;
	out->line = (unsigned long)s->count;
	ldns_rr_free(rr);
	return 0;
}

static void axfr_close(struct zs__zone_src *base)
{
	struct axfr_src *s = (struct axfr_src *)base;
	if (s->res != NULL) {
		ldns_axfr_abort(s->res);
		ldns_resolver_deep_free(s->res);
	}
	ldns_rdf_deep_free(s->zone);
	zs_free(s->label);
	zs_free(s);
}

static int resolve(const char *host, ldns_rdf **out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char text[INET6_ADDRSTRLEN];
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL) {
		zs_log_error(ZS_LOG_ZONE, "%s: unknown host", host);
		return ZS_ERR_USAGE;
	}
	const void *addr = ai->ai_family == AF_INET6
	                           ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
	                           : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	(void)inet_ntop(ai->ai_family, addr, text, sizeof(text));
	freeaddrinfo(ai);
	*out = ldns_rdf_new_frm_str(
	        strchr(text, ':') != NULL ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, text);
	return *out != NULL ? 0 : ZS_ERR_USAGE;
}

int zs_zone_reader_open_axfr(const char *server, const char *zone, const char *tsig_file,
                             const struct zs_zone_opts *opts, struct zs_zone_reader **out)
{
	struct zs_zone_opts o = opts != NULL ? *opts : (struct zs_zone_opts){ 0 };
	struct axfr_src *s = zs_calloc(1, sizeof(*s));
	struct zs_zone_reader *r = NULL;
	struct tsig_key key;
	ldns_rdf *addr = NULL;
	char host[256];
	char zone_abs[300];
	uint16_t port;
	int ret;

	ZS_REQUIRE(server != NULL && zone != NULL);
	s->base.next = axfr_next;
	s->base.close = axfr_close;
	ret = parse_server(server, host, sizeof(host), &port);
	if (ret != 0) {
		zs_log_error(ZS_LOG_ZONE, "%s: not HOST[:PORT]", server);
		goto fail;
	}
	(void)snprintf(zone_abs, sizeof(zone_abs), "%s", zone);
	dotted(zone_abs, sizeof(zone_abs));
	o.origin = zone_abs;
	r = zs__zone_reader_new(&o);
	s->r = r;
	ret = zs__zone_reader_set_origin(r, zone_abs);
	if (ret != 0) {
		zs_log_error(ZS_LOG_ZONE, "%s: not a domain name", zone);
		goto fail;
	}
	s->zone = ldns_dname_new_frm_str(zone_abs);
	size_t label_len = strlen(host) + strlen(zone_abs) + 32;
	s->label = zs_malloc(label_len);
	(void)snprintf(s->label, label_len, "axfr://%s:%u/%s", host, (unsigned)port, zone_abs);
	ret = resolve(host, &addr);
	if (ret != 0) {
		goto fail;
	}
	s->res = ldns_resolver_new();
	(void)ldns_resolver_push_nameserver(s->res, addr);
	ldns_rdf_deep_free(addr);
	ldns_resolver_set_port(s->res, port);
	ldns_resolver_set_usevc(s->res, true);
	ldns_resolver_set_timeout(s->res, (struct timeval){ .tv_sec = AXFR_TIMEOUT_S });
	if (tsig_file != NULL) {
		ret = read_key(tsig_file, &key);
		if (ret != 0) {
			goto fail;
		}
		dotted(key.name, sizeof(key.name));
		dotted(key.algorithm, sizeof(key.algorithm));
		ldns_resolver_set_tsig_keyname(s->res, key.name);
		ldns_resolver_set_tsig_algorithm(s->res, key.algorithm);
		ldns_resolver_set_tsig_keydata(s->res, key.secret);
	}
	ldns_status st = ldns_axfr_start(s->res, s->zone, LDNS_RR_CLASS_IN);
	if (st != LDNS_STATUS_OK) {
		zs_log_error(ZS_LOG_ZONE, "%s: %s", s->label, ldns_get_errorstr_by_id(st));
		ret = ZS_ERR_DNS;
		goto fail;
	}
	r->src = &s->base;
	*out = r;
	return 0;
fail:
	axfr_close(&s->base);
	zs_zone_reader_close(r);
	return ret;
}
