/*
 * Helpers shared by the C fixtures of preload-tests/.
 *
 * Every fixture reports what it sees as `key=value` lines on stdout, one fact per
 * line, flushed at once (so a test reading the pipe sees a line as soon as it is
 * printed, and nothing is lost if the fixture then dies from a signal). Values are
 * escaped so that a fact is always exactly one line: `\\`, `\n`, `\r`, `\t` and
 * other control bytes become `\\`, `\n`, `\r`, `\t`, `\xHH`.
 *
 * Errors are reported as glibc's errno name (`ENOENT`, `EROFS`, ...), never as a
 * translated message, so that tests can compare them.
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Write `s` escaped (see above) to `f`. */
__attribute__((unused)) static void put_escaped(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\x%02x", c);
			else
				fputc(c, f);
		}
	}
}

/* Print one fact: `key=value`, the value formatted like printf and escaped. */
__attribute__((format(printf, 2, 3)))
static void kv(const char *key, const char *fmt, ...)
{
	char buf[16384];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	fputs(key, stdout);
	fputc('=', stdout);
	put_escaped(stdout, buf, (size_t)n);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Print one fact whose value is raw bytes (escaped). */
__attribute__((unused)) static void kv_bytes(const char *key, const char *data, size_t len)
{
	fputs(key, stdout);
	fputc('=', stdout);
	put_escaped(stdout, data, len);
	fputc('\n', stdout);
	fflush(stdout);
}

/* The symbolic name of an errno value: "ENOENT", or "E<number>" if unknown. */
__attribute__((unused)) static const char *errname(int e)
{
	static char buf[32];
	const char *name = strerrorname_np(e);
	if (name)
		return name;
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

/* Sleep for `ms` milliseconds, resuming after signal handlers. */
__attribute__((unused)) static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Milliseconds on the monotonic clock, for bounded loops. */
__attribute__((unused)) static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
