/* SPDX-License-Identifier: MIT */
/*
 * Report output through zlib. The temporary file is created with O_EXCL in the target's
 * directory (so the final rename is atomic), and the first write error is kept so that
 * commit can refuse to publish a file that is not whole.
 */
#include "reports/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"

enum { OUT_BUF = 256 * 1024 };

struct zs_out {
	char *path;     /* final name */
	char *tmp_path; /* where it is written; NULL for stdout */
	int fd;
	gzFile gz; /* NULL when plain */
	int err;   /* first write error */
	char *buf; /* plain output buffer */
	size_t len;
};

bool zs_out_name_wants_gzip(const char *path)
{
	static const char *const plain[] = { ".csv", ".jsonl", ".json", ".html", ".htm",
		                             ".txt", ".mbox",  ".eml",  ".svg" };
	size_t n = strlen(path);

	if (n >= 3 && strcmp(path + n - 3, ".gz") == 0) {
		return true;
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		size_t e = strlen(plain[i]);
		if (n >= e && strcasecmp(path + n - e, plain[i]) == 0) {
			return false;
		}
	}
	return true;
}

int zs_out_open(const char *path, int flags, struct zs_out **out)
{
	struct zs_out *o = zs_calloc(1, sizeof(*o));
	int ret;

	o->path = zs_strdup(path);
	o->buf = zs_malloc(OUT_BUF);
	if (strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
		*out = o;
		return 0;
	}
	if ((flags & ZS_OUT_OVERWRITE) == 0 && access(path, F_OK) == 0) {
		ret = -EEXIST;
		goto fail;
	}
	size_t tlen = strlen(path) + 32;
	o->tmp_path = zs_malloc(tlen);
	(void)snprintf(o->tmp_path, tlen, "%s.tmp.%ld", path, (long)getpid());
	o->fd = open(o->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		ret = -errno;
		zs_free(o->tmp_path);
		o->tmp_path = NULL;
		goto fail;
	}
	if ((flags & ZS_OUT_PLAIN) == 0 && zs_out_name_wants_gzip(path)) {
		int fd2 = dup(o->fd);
		if (fd2 < 0) {
			ret = -errno;
			goto fail;
		}
		o->gz = gzdopen(fd2, "wb6");
		if (o->gz == NULL) {
			close(fd2);
			ret = -ENOMEM;
			goto fail;
		}
		(void)gzbuffer(o->gz, OUT_BUF);
	}
	*out = o;
	return 0;
fail:
	zs_out_abort(o);
	return ret;
}

static int flush_plain(struct zs_out *o)
{
	size_t off = 0;
	while (off < o->len) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		off += (size_t)n;
	}
	o->len = 0;
	return 0;
}

int zs_out_write(struct zs_out *o, const void *p, size_t n)
{
	if (o->err != 0) {
		return o->err;
	}
	if (o->gz != NULL) {
		const char *c = p;
		while (n > 0) {
			unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
			int w = gzwrite(o->gz, c, chunk);
			if (w <= 0) {
				int zerr;
				(void)gzerror(o->gz, &zerr);
				o->err = zerr == Z_ERRNO && errno != 0 ? -errno : -EIO;
				return o->err;
			}
			c += w;
			n -= (size_t)w;
		}
		return 0;
	}
	if (o->len + n > OUT_BUF) {
		o->err = flush_plain(o);
		if (o->err != 0) {
			return o->err;
		}
		if (n > OUT_BUF) {
			/* larger than the buffer: straight through */
			const char *c = p;
			size_t off = 0;
			while (off < n) {
				ssize_t w = write(o->fd, c + off, n - off);
				if (w < 0 && errno != EINTR) {
					o->err = -errno;
					return o->err;
				}
				off += w > 0 ? (size_t)w : 0;
			}
			return 0;
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

int zs_out_puts(struct zs_out *o, const char *s)
{
	return zs_out_write(o, s, strlen(s));
}

int zs_out_printf(struct zs_out *o, const char *fmt, ...)
{
	char small[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		return -EINVAL;
	}
	if ((size_t)n < sizeof(small)) {
		return zs_out_write(o, small, (size_t)n);
	}
	struct zs_buf b;
	zs_buf_init(&b, (size_t)n + 1);
	va_start(ap, fmt);
	int ret = zs_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (ret == 0) {
		ret = zs_out_write(o, b.data, b.len);
	}
	zs_buf_deinit(&b);
	return ret;
}

int zs_out_commit(struct zs_out *o)
{
	int ret = o->err;

	if (o->gz != NULL) {
		int zret = gzclose(o->gz);
		o->gz = NULL;
		if (ret == 0 && zret != Z_OK) {
			ret = zret == Z_ERRNO ? -errno : -EIO;
		}
	} else if (ret == 0) {
		ret = flush_plain(o);
	}
	if (o->tmp_path != NULL) {
		if (ret == 0 && fsync(o->fd) != 0) {
			ret = -errno;
		}
		if (close(o->fd) != 0 && ret == 0) {
			ret = -errno;
		}
		o->fd = -1;
		if (ret == 0 && rename(o->tmp_path, o->path) != 0) {
			ret = -errno;
		}
		if (ret != 0) {
			(void)unlink(o->tmp_path);
		}
	}
	zs_free(o->tmp_path);
	o->tmp_path = NULL;
	zs_free(o->buf);
	zs_free(o->path);
	zs_free(o);
	return ret;
}

void zs_out_abort(struct zs_out *o)
{
	if (o == NULL) {
		return;
	}
	if (o->gz != NULL) {
		(void)gzclose(o->gz);
	}
	if (o->tmp_path != NULL) {
		if (o->fd >= 0) {
			close(o->fd);
		}
		(void)unlink(o->tmp_path);
		zs_free(o->tmp_path);
	}
	zs_free(o->buf);
	zs_free(o->path);
	zs_free(o);
}

const char *zs_out_path(const struct zs_out *o)
{
	return o->path;
}
