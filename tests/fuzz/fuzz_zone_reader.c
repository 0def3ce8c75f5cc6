/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target of the zone reader: the input is a zone file (plain, or gzip when it starts with
 * the magic bytes), read to its end by the fast tokenizer through the delegation filter, with
 * the apex from the options and without, in default and strict mode. Nothing may crash, leak
 * or read out of bounds, and every delegation must be well formed.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scanner/base/log.h"
#include "tests/fuzz/fuzz.h"
#include "zoneio/reader.h"

static void read_all(const char *path, const struct zs_zone_opts *opts)
{
	struct zs_zone_reader *r = NULL;
	const struct zs_delegation *d = NULL;
	if (zs_zone_reader_open(path, opts, &r) != 0) {
		return;
	}
	while (zs_zone_reader_next(r, &d) == 0) {
		if (d->name == NULL || d->name[0] == '\0' || (d->ns_count > 0 && d->ns == NULL)) {
			__builtin_trap();
		}
		for (size_t i = 0; i < d->glue_count; i++) {
			if (strlen(d->glue[i]) == 0 || d->glue_ns[i] == NULL) {
				__builtin_trap();
			}
		}
	}
	const struct zs_zone_stats *st = zs_zone_reader_stats(r);
	if (st->errors_kept > 0 && st->first_errors[0].msg == NULL) {
		__builtin_trap();
	}
	zs_zone_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfd_create("zone", 0);
	if (fd < 0) {
		return 0;
	}
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		(void)close(fd);
		return 0;
	}
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	zs_log_set_level(ZS_LOG_LEVEL_ERROR);
	struct zs_zone_opts opts = { .origin = "bank", .max_errors_kept = 3 };
	read_all(path, &opts);
	opts.origin = NULL;
	opts.strict = true;
	read_all(path, &opts);
	(void)close(fd);
	return 0;
}
