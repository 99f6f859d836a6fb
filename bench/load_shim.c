/*
 * load_shim.so: times the sandbox's own seccomp filter load, in the app, for bench.py.
 *
 * Preloaded ahead of libsandbox.so (LD_PRELOAD=load_shim.so:libsandbox.so), it interposes
 * syscall(3), which libsandbox calls for seccomp(2): the SECCOMP_SET_MODE_FILTER call with
 * a program is timed on CLOCK_MONOTONIC around glibc's syscall() and reported on stderr as
 * `load_shim: N insns T us`. Everything else passes through untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	va_list ap;
	long a[6];
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (nr != SYS_seccomp || a[0] != 1 /* SECCOMP_SET_MODE_FILTER */ || !a[2])
		return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	const struct sock_fprog *prog = (const struct sock_fprog *)a[2];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long r = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	char line[80];
	int n = snprintf(line, sizeof line, "load_shim: %u insns %.1f us\n", prog->len,
			 ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3);
	if (write(2, line, (size_t)n) < 0)
		return r;
	return r;
}
