/*
 * filter_ref: the kernel's cost of loading reference seccomp filters, for bench.py.
 *
 *   filter_ref N     load, in a fresh child with no_new_privs, a filter of N linear
 *                    `syscall == K` checks (never matching) then ALLOW; print the
 *                    microseconds of the seccomp(2) call
 *
 * N = 60 is the reference shape (a linear 60-check chain); N = 0 is the smallest
 * filter there is (the kernel's fixed cost: JIT, executable memory, action cache).
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int checks = argc > 1 ? atoi(argv[1]) : 0;
	if (checks < 0 || checks > 4000)
		return 2;
	struct sock_filter f[4002];
	int k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < checks; i++)
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 100000 + i, 0, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { (unsigned short)k, f };
	int p[2];
	if (pipe(p) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		struct timespec t0, t1;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3;
		if (r != 0 || write(p[1], &us, sizeof us) != sizeof us)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	double us;
	int st;
	ssize_t got = read(p[0], &us, sizeof us);
	waitpid(child, &st, 0);
	if (got != sizeof us || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 1;
	printf("%d insns %.1f us\n", k, us);
	return 0;
}
