/* SPDX-License-Identifier: MIT */
/* Names and messages for the codes of err.h and for negative errno values. */
#include "scanner/base/err.h"

#include <errno.h>
#include <string.h>

static const char *const err_names[] = {
#define XX(name, msg) "ZS_ERR_" #name,
	ZS_ERR_MAP(XX)
#undef XX
};

static const char *const err_msgs[] = {
#define XX(name, msg) msg,
	ZS_ERR_MAP(XX)
#undef XX
};

const char *zs_err_name(int ret)
{
	if (ret == 0) {
		return "OK";
	}
	if (ret > ZS_ERR_BASE_ && ret < ZS_ERR_LAST_) {
		return err_names[ret - ZS_ERR_BASE_ - 1];
	}
	if (ret < 0 && ret > -4096) {
		const char *name = strerrorname_np(-ret);
		return name != NULL ? name : "EUNKNOWN";
	}
	return "EUNKNOWN";
}

const char *zs_err_str(int ret)
{
	if (ret == 0) {
		return "success";
	}
	if (ret > ZS_ERR_BASE_ && ret < ZS_ERR_LAST_) {
		return err_msgs[ret - ZS_ERR_BASE_ - 1];
	}
	if (ret < 0 && ret > -4096) {
		return strerror(-ret);
	}
	return "unknown error";
}
