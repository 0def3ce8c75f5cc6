/* SPDX-License-Identifier: MIT */
/*
 * A stand-alone driver of `zonesweep zone` (scanner/cmd_zone.c) for the zoneio tests and the
 * zone-reading benchmark: `zs_zone_cmd zone FILE [options]` runs exactly what the zonesweep
 * binary runs for that command, without linking the rest of the scanner.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/commands.h"

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "zone") != 0) {
		fputs("usage: zs_zone_cmd zone FILE [options]\n", stderr);
		return ZS_EXIT_USAGE;
	}
	return zs_cmd_zone(argc - 1, argv + 1);
}
