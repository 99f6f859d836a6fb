/*
 * bench_syscalls: the cost of one system call, for the seccomp benchmark (bench/run.sh).
 *
 *   bench_syscalls [N]    N getpid() then N 1-byte read()s from /dev/zero (default 10^7)
 *
 * Prints `getpid_ns=` and `read_ns=`: wall-clock nanoseconds per call (best of the
 * loop halves is not taken: one timed loop each, after a short warm-up).
 */
#include "fixture.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000L;
	if (n <= 0)
		n = 1;
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kv("error", "open /dev/zero: %s", errname(errno));
		return 1;
	}
	char c;
	/* Warm-up: caches, branch predictors, the seccomp action cache. */
	for (long i = 0; i < n / 100 + 1; i++) {
		syscall(SYS_getpid);
		if (read(fd, &c, 1) != 1)
			return 1;
	}
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid); /* not glibc's getpid(): never cached */
	double t1 = now_ns();
	for (long i = 0; i < n; i++) {
		if (read(fd, &c, 1) != 1) {
			kv("error", "read /dev/zero: %s", errname(errno));
			return 1;
		}
	}
	double t2 = now_ns();
	kv("calls", "%ld", n);
	kv("getpid_ns", "%.2f", (t1 - t0) / (double)n);
	kv("read_ns", "%.2f", (t2 - t1) / (double)n);
	return 0;
}
