/* SPDX-License-Identifier: MIT */
/*
 * zs-fault-dns: the tests' fault-injecting DNS server as a program, for integration tests and
 * scripts. It answers from a table file (format in fault_server.h) on a loopback address and a
 * port the kernel picks, prints that port on stdout (and into a file with -p), and runs until
 * SIGINT or SIGTERM, then prints its counters on stderr.
 *
 *   zs-fault-dns -t TABLE [-a 127.0.0.1] [-p PORTFILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "scanner/base/err.h"
#include "tests/dns_fault/fault_server.h"

static struct zs_fault_server *server;
static uv_signal_t sigint;
static uv_signal_t sigterm;

static void on_signal(uv_signal_t *h, int signum)
{
	const struct zs_fault_stats *st = zs_fault_server_stats(server);
	fprintf(stderr,
	        "zs-fault-dns: udp_queries=%llu tcp_queries=%llu tcp_connections=%llu replies=%llu "
	        "faults=%llu no_edns=%llu unparsable=%llu\n",
	        (unsigned long long)st->udp_queries, (unsigned long long)st->tcp_queries,
	        (unsigned long long)st->tcp_connections, (unsigned long long)st->replies,
	        (unsigned long long)st->faults, (unsigned long long)st->no_edns,
	        (unsigned long long)st->unparsable);
	zs_fault_server_close(server);
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
}

int main(int argc, char **argv)
{
	const char *ip = "127.0.0.1";
	const char *table = NULL;
	const char *portfile = NULL;

	for (int opt = getopt(argc, argv, "a:t:p:"); opt != -1;
	     opt = getopt(argc, argv, "a:t:p:")) {
		switch (opt) {
		case 'a':
			ip = optarg;
			break;
		case 't':
			table = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		default:
			fprintf(stderr, "usage: zs-fault-dns -t TABLE [-a IP] [-p PORTFILE]\n");
			return 2;
		}
	}
	if (table == NULL) {
		fprintf(stderr, "usage: zs-fault-dns -t TABLE [-a IP] [-p PORTFILE]\n");
		return 2;
	}
	uv_loop_t *loop = uv_default_loop();
	int ret = zs_fault_server_new(loop, ip, &server);
	if (ret != 0) {
		fprintf(stderr, "zs-fault-dns: cannot listen on %s: %s\n", ip, zs_err_str(ret));
		return 1;
	}
	ret = zs_fault_server_load(server, table);
	if (ret != 0) {
		fprintf(stderr, "zs-fault-dns: %s: %s\n", table, zs_err_str(ret));
		zs_fault_server_close(server);
		(void)uv_run(loop, UV_RUN_DEFAULT);
		return 1;
	}
	(void)uv_signal_init(loop, &sigint);
	(void)uv_signal_init(loop, &sigterm);
	(void)uv_signal_start(&sigint, on_signal, SIGINT);
	(void)uv_signal_start(&sigterm, on_signal, SIGTERM);
	printf("%u\n", zs_fault_server_port(server));
	(void)fflush(stdout);
	if (portfile != NULL) {
		FILE *f = fopen(portfile, "w");
		if (f == NULL || fprintf(f, "%u\n", zs_fault_server_port(server)) < 0 ||
		    fclose(f) != 0) {
			fprintf(stderr, "zs-fault-dns: cannot write %s\n", portfile);
			return 1;
		}
	}
	(void)uv_run(loop, UV_RUN_DEFAULT);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
