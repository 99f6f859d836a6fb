/*
 * cgroup_forkbomb: create processes, for the cgroup pids limit.
 *
 *   cgroup_forkbomb count N
 *       forks up to N children that wait; stops at the first failure. Prints
 *       `forked=K` and, if fork failed, `fork_error=ERRNO` (EAGAIN under pids.max);
 *       then ends the children and exits 0.
 *
 *   cgroup_forkbomb bomb SECONDS
 *       a real fork bomb: every process forks again and again (retrying after a
 *       failure) until SECONDS have passed, then exits. Prints `bomb=1` first. Only
 *       run it under a pids limit; it is bounded in time as a last resort.
 *
 *   cgroup_forkbomb orphan SECONDS
 *       leaves a process behind: a child that starts its own session and sleeps for
 *       SECONDS, then exits. Prints `orphan=PID` and exits 0 at once.
 */
#include "fixture.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static int count(long n)
{
	pid_t *kids = calloc((size_t)n + 1, sizeof *kids);
	long k = 0;
	int err = 0;
	while (k < n) {
		pid_t c = fork();
		if (c < 0) {
			err = errno;
			break;
		}
		if (c == 0) {
			pause();
			_exit(0);
		}
		kids[k++] = c;
	}
	kv("forked", "%ld", k);
	if (err)
		kv("fork_error", "%s", errname(err));
	for (long i = 0; i < k; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < k; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}

static int bomb(double seconds)
{
	long long end = now_ms() + (long long)(seconds * 1000);
	kv("bomb", "1");
	while (now_ms() < end) {
		pid_t c = fork();
		if (c < 0)
			sleep_ms(1);
		/* parent and child both go on forking; reap what ended */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	return 0;
}

static int orphan(double seconds)
{
	fflush(stdout);
	pid_t c = fork();
	if (c < 0) {
		kv("fork_error", "%s", errname(errno));
		return 1;
	}
	if (c == 0) {
		setsid();
		sleep_ms((long)(seconds * 1000));
		_exit(0);
	}
	kv("orphan", "%d", (int)c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "orphan") == 0)
		return orphan(atof(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "count") == 0)
		return count(atol(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "bomb") == 0)
		return bomb(atof(argv[2]));
	fprintf(stderr, "usage: cgroup_forkbomb count N | bomb SECONDS | orphan SECONDS\n");
	return 2;
}
