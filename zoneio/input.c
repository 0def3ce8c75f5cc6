/* SPDX-License-Identifier: MIT */
/*
 * Byte input of the zone reader: a file or stdin, plain or gzip. Gzip is recognised by its two
 * magic bytes, never by the file name, and inflated with zlib's own stream API (not gzread()) so
 * that every way a stream can be damaged is an error: a corrupt block, a bad CRC or length, a
 * stream cut short, and bytes after the last member that are not another member. A zone that
 * comes out shorter than it was written is therefore never mistaken for a whole one.
 *
 * Inflating costs about as much as parsing, so a gzip input is inflated on a thread of its own
 * into a small ring of blocks while the caller parses: on two cores reading a gzip zone then
 * takes about as long as zcat alone. The thread touches only the zlib stream and the file; the
 * ring is the one thing shared, under a mutex.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "scanner/base/err.h"
#include "zoneio/reader_int.h"

#define INPUT_BUF   (256 * 1024)
#define RING_BLOCKS 4
#define RING_BLOCK  (2 * 1024 * 1024)

struct ring_block {
	uint8_t *data;
	size_t len;
};

struct zs__input {
	int fd;
	bool own_fd;
	bool gzip;
	bool z_init;
	bool z_end;  /**< the last member ended exactly at the end of the input */
	bool fd_eof; /**< read() returned 0 */
	z_stream z;
	uint8_t *buf; /**< read-ahead of raw bytes */
	size_t buf_len;
	size_t buf_pos;
	int err;
	uint64_t bytes;
	/* the inflating thread and its ring */
	bool threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ring_block ring[RING_BLOCKS];
	int head;        /**< the block being consumed */
	int count;       /**< blocks filled */
	size_t head_off; /**< bytes of the head block already consumed */
	bool done;       /**< the thread has finished: thread_ret tells how */
	bool stop;       /**< asks the thread to finish */
	int thread_ret;
};

static int fill(struct zs__input *in)
{
	if (in->buf_pos < in->buf_len || in->fd_eof) {
		return 0;
	}
	for (;;) {
		ssize_t n = read(in->fd, in->buf, INPUT_BUF);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		in->buf_pos = 0;
		in->buf_len = (size_t)n;
		if (n == 0) {
			in->fd_eof = true;
		}
		return 0;
	}
}

/* Append to the read-ahead what one read() gives, keeping the unread bytes. */
static int read_more(struct zs__input *in)
{
	memmove(in->buf, in->buf + in->buf_pos, in->buf_len - in->buf_pos);
	in->buf_len -= in->buf_pos;
	in->buf_pos = 0;
	for (;;) {
		ssize_t n = read(in->fd, in->buf + in->buf_len, INPUT_BUF - in->buf_len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		in->fd_eof = n == 0;
		in->buf_len += (size_t)n;
		return 0;
	}
}

/* Read the first bytes, decide plain or gzip, and set up the inflater. */
static int start(struct zs__input *in)
{
	int ret;
	in->buf_len = 0;
	in->buf_pos = 0;
	in->fd_eof = false;
	in->z_end = false;
	/* Two bytes may come in two reads from a pipe. */
	while (in->buf_len < 2 && !in->fd_eof) {
		ret = read_more(in);
		if (ret != 0) {
			return ret;
		}
	}
	in->gzip = in->buf_len >= 2 && in->buf[0] == 0x1f && in->buf[1] == 0x8b;
	if (!in->gzip) {
		return 0;
	}
	if (in->z_init) {
		ret = inflateReset(&in->z);
	} else {
		memset(&in->z, 0, sizeof(in->z));
		ret = inflateInit2(&in->z, 15 + 16);
		in->z_init = ret == Z_OK;
	}
	return ret == Z_OK ? 0 : ZS_ERR_GZIP;
}

static ssize_t read_gzip(struct zs__input *in, uint8_t *out, size_t len)
{
	for (;;) {
		int ret = fill(in);
		if (ret != 0) {
			return ret;
		}
		if (in->z_end) {
			if (in->buf_pos == in->buf_len && in->fd_eof) {
				return 0;
			}
			/* More bytes after a member: only another member may follow. */
			if (in->buf_len - in->buf_pos < 2 && !in->fd_eof) {
				ret = read_more(in);
				if (ret != 0) {
					return ret;
				}
				continue;
			}
			if (in->buf_len - in->buf_pos < 2 || in->buf[in->buf_pos] != 0x1f ||
			    in->buf[in->buf_pos + 1] != 0x8b) {
				return ZS_ERR_GZIP;
			}
			if (inflateReset(&in->z) != Z_OK) {
				return ZS_ERR_GZIP;
			}
			in->z_end = false;
		}
		in->z.next_in = in->buf + in->buf_pos;
		in->z.avail_in = (uInt)(in->buf_len - in->buf_pos);
		in->z.next_out = out;
		in->z.avail_out = (uInt)len;
		ret = inflate(&in->z, Z_NO_FLUSH);
		in->buf_pos = in->buf_len - in->z.avail_in;
		size_t produced = len - in->z.avail_out;
		if (ret == Z_STREAM_END) {
			in->z_end = true;
		} else if (ret == Z_BUF_ERROR) {
			if (in->z.avail_in == 0 && in->fd_eof) {
				return ZS_ERR_GZIP; /* truncated */
			}
		} else if (ret != Z_OK) {
			return ZS_ERR_GZIP;
		}
		if (produced > 0) {
			return (ssize_t)produced;
		}
		if (!in->z_end && in->z.avail_in == 0 && in->fd_eof) {
			return ZS_ERR_GZIP; /* truncated */
		}
	}
}

static ssize_t read_plain(struct zs__input *in, uint8_t *out, size_t len)
{
	if (in->buf_pos < in->buf_len) {
		size_t n = in->buf_len - in->buf_pos;
		if (n > len) {
			n = len;
		}
		memcpy(out, in->buf + in->buf_pos, n);
		in->buf_pos += n;
		return (ssize_t)n;
	}
	if (in->fd_eof) {
		return 0;
	}
	for (;;) {
		ssize_t n = read(in->fd, out, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		if (n == 0) {
			in->fd_eof = true;
		}
		return n;
	}
}

static void *inflate_thread(void *arg)
{
	struct zs__input *in = arg;
	int ret = 0;
	pthread_mutex_lock(&in->mu);
	for (;;) {
		while (in->count == RING_BLOCKS && !in->stop) {
			pthread_cond_wait(&in->cv, &in->mu);
		}
		if (in->stop) {
			break;
		}
		struct ring_block *b = &in->ring[(in->head + in->count) % RING_BLOCKS];
		pthread_mutex_unlock(&in->mu);
		/* Fill a whole block, so that the consumer wakes up rarely. */
		size_t len = 0;
		ssize_t n = 1;
		while (len < RING_BLOCK && n > 0) {
			n = read_gzip(in, b->data + len, RING_BLOCK - len);
			if (n > 0) {
				len += (size_t)n;
			}
		}
		pthread_mutex_lock(&in->mu);
		if (len > 0) {
			b->len = len;
			in->count++;
			pthread_cond_broadcast(&in->cv);
		}
		if (n <= 0) {
			ret = (int)n;
			break;
		}
	}
	in->done = true;
	in->thread_ret = ret;
	pthread_cond_broadcast(&in->cv);
	pthread_mutex_unlock(&in->mu);
	return NULL;
}

static int start_thread(struct zs__input *in)
{
	for (int i = 0; i < RING_BLOCKS; i++) {
		in->ring[i].data = zs_malloc(RING_BLOCK);
	}
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->cv, NULL);
	in->threaded = true;
	int ret = pthread_create(&in->thread, NULL, inflate_thread, in);
	if (ret != 0) {
		in->threaded = false;
		pthread_mutex_destroy(&in->mu);
		pthread_cond_destroy(&in->cv);
		return 0; /* inflate in the caller's thread instead */
	}
	return 0;
}

static ssize_t read_ring(struct zs__input *in, uint8_t *out, size_t len)
{
	pthread_mutex_lock(&in->mu);
	while (in->count == 0 && !in->done) {
		pthread_cond_wait(&in->cv, &in->mu);
	}
	ssize_t n;
	if (in->count > 0) {
		struct ring_block *b = &in->ring[in->head];
		size_t avail = b->len - in->head_off;
		size_t take = avail < len ? avail : len;
		pthread_mutex_unlock(&in->mu);
		memcpy(out, b->data + in->head_off, take);
		pthread_mutex_lock(&in->mu);
		in->head_off += take;
		if (in->head_off == b->len) {
			in->head = (in->head + 1) % RING_BLOCKS;
			in->count--;
			in->head_off = 0;
			pthread_cond_broadcast(&in->cv);
		}
		n = (ssize_t)take;
	} else {
		n = in->thread_ret;
	}
	pthread_mutex_unlock(&in->mu);
	return n;
}

ssize_t zs__input_read(struct zs__input *in, void *buf, size_t len)
{
	if (in->err != 0) {
		return in->err;
	}
	if (len > UINT32_MAX) {
		len = UINT32_MAX;
	}
	ssize_t n;
	if (in->threaded) {
		n = read_ring(in, buf, len);
	} else {
		n = in->gzip ? read_gzip(in, buf, len) : read_plain(in, buf, len);
	}
	if (n < 0) {
		in->err = (int)n;
	} else {
		in->bytes += (uint64_t)n;
	}
	return n;
}

static int verify(struct zs__input *in)
{
	uint8_t *scratch = zs_malloc(INPUT_BUF);
	ssize_t n;
	do {
		n = zs__input_read(in, scratch, INPUT_BUF);
	} while (n > 0);
	zs_free(scratch);
	if (n < 0) {
		return (int)n;
	}
	if (lseek(in->fd, 0, SEEK_SET) != 0) {
		return -errno;
	}
	in->bytes = 0;
	return start(in);
}

int zs__input_open(const char *path, unsigned flags, struct zs__input **out)
{
	struct zs__input *in = zs_calloc(1, sizeof(*in));
	struct stat st;
	int ret;

	in->fd = -1;
	in->buf = zs_malloc(INPUT_BUF);
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
	} else {
		/* O_NONBLOCK: opening a FIFO must not wait for a writer; reads of a regular file
		 * ignore the flag */
		int oflags = O_RDONLY | O_CLOEXEC | ((flags & ZS__INPUT_REGULAR) ? O_NONBLOCK : 0);
		in->fd = open(path, oflags);
		if (in->fd < 0) {
			ret = -errno;
			goto fail;
		}
		in->own_fd = true;
	}
	if (fstat(in->fd, &st) != 0) {
		ret = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto fail;
	}
	if ((flags & ZS__INPUT_REGULAR) && !S_ISREG(st.st_mode)) {
		ret = ZS_ERR_REFUSED;
		goto fail;
	}
	ret = start(in);
	if (ret != 0) {
		goto fail;
	}
	if ((flags & ZS__INPUT_VERIFY) && in->gzip) {
		if (!S_ISREG(st.st_mode)) {
			ret = ZS_ERR_GZIP_STREAM; /* it cannot be read twice */
			goto fail;
		}
		ret = verify(in);
		if (ret != 0) {
			goto fail;
		}
	}
	if (in->gzip) {
		ret = start_thread(in);
		if (ret != 0) {
			goto fail;
		}
	}
	*out = in;
	return 0;
fail:
	zs__input_close(in);
	return ret;
}

int zs__input_error(const struct zs__input *in)
{
	return in->err;
}

uint64_t zs__input_bytes(const struct zs__input *in)
{
	return in->bytes;
}

void zs__input_close(struct zs__input *in)
{
	if (in == NULL) {
		return;
	}
	if (in->threaded) {
		pthread_mutex_lock(&in->mu);
		in->stop = true;
		pthread_cond_broadcast(&in->cv);
		pthread_mutex_unlock(&in->mu);
		(void)pthread_join(in->thread, NULL);
		pthread_mutex_destroy(&in->mu);
		pthread_cond_destroy(&in->cv);
	}
	for (int i = 0; i < RING_BLOCKS; i++) {
		zs_free(in->ring[i].data);
	}
	if (in->z_init) {
		(void)inflateEnd(&in->z);
	}
	if (in->own_fd && in->fd >= 0) {
		(void)close(in->fd);
	}
	zs_free(in->buf);
	zs_free(in);
}
