/* SPDX-License-Identifier: MIT */
/* Placeholder: the zone reader is being written (issue 4). */
#include "zoneio/reader.h"

#include <errno.h>

int zs_zone_reader_open(const char *path, const struct zs_zone_opts *opts,
                        struct zs_zone_reader **out)
{
	return -ENOSYS;
}

int zs_zone_reader_next(struct zs_zone_reader *r, const struct zs_delegation **out)
{
	return -ENOSYS;
}

const struct zs_zone_stats *zs_zone_reader_stats(const struct zs_zone_reader *r)
{
	return NULL;
}

void zs_zone_reader_close(struct zs_zone_reader *r)
{
}
