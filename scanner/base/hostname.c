/* SPDX-License-Identifier: MIT */
#include "scanner/base/hostname.h"

#include <string.h>

bool zs_host_label_valid(const char *label, size_t len)
{
	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-') {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)label[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-')) {
			return false;
		}
	}
	return true;
}

bool zs_host_name_valid(const char *name, size_t len)
{
	if (len > 0 && name[len - 1] == '.') {
		len--;
	}
	if (len == 0 || len > 253) {
		return false;
	}
	for (size_t at = 0; at <= len;) {
		const char *dot = memchr(name + at, '.', len - at);
		size_t n = dot != NULL ? (size_t)(dot - (name + at)) : len - at;
		if (!zs_host_label_valid(name + at, n)) {
			return false;
		}
		at += n + 1;
	}
	return true;
}
