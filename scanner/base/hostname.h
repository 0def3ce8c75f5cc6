/* SPDX-License-Identifier: MIT */
/*
 * The one syntax of a registered domain name that zonesweep accepts, in the zone reader and on
 * the command line alike, so that every name the tool stores can also be named to it: host
 * names (RFC 952, RFC 1123 2.1) of letters, digits and hyphens, which covers IDNA A-labels
 * ("xn--..."). Each label is 1 to 63 bytes and neither starts nor ends with a hyphen; the whole
 * name, without the final dot, is at most 253 bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/** Whether one label (not empty, without dots) is a host-name label. */
bool zs_host_label_valid(const char *label, size_t len);

/**
 * Whether a name in presentation form ("example.bank", one final dot allowed, any case) is a
 * host name.
 */
bool zs_host_name_valid(const char *name, size_t len);
