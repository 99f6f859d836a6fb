/*
 * sleeper: stay alive for a while, for time_limit, die_with_parent and signal tests.
 *
 *   sleeper SECONDS [fork]
 *       prints `pid=` and `ready=1`, sleeps SECONDS (fractions allowed), prints
 *       `slept=1` and exits 0. With `fork`, a child process sleeps as well (and
 *       prints `child_ready=1`), so a test can check that the whole sandbox is killed.
 *       Signals keep their default action.
 *
 *   sleeper parent PROGRAM ARG...
 *       the intermediate parent of the die_with_parent test: forks, the child
 *       execs PROGRAM with the inherited environment; the parent prints
 *       `child=PID` and then waits (at most 60 s) to be killed. Built statically
 *       (sleeper-static), so LD_PRELOAD does not sandbox this parent itself.
 */
#include "fixture.h"

#include <sys/wait.h>
#include <unistd.h>

static int run_parent(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sleeper parent PROGRAM ARG...\n");
		return 2;
	}
	fflush(stdout);
	pid_t child = fork();
	if (child < 0) {
		kv("fork", "%s", errname(errno));
		return 1;
	}
	if (child == 0) {
		execv(argv[2], argv + 2);
		fprintf(stderr, "sleeper: execv %s: %s\n", argv[2], errname(errno));
		_exit(127);
	}
	kv("child", "%d", (int)child);
	long long deadline = now_ms() + 60000;
	while (now_ms() < deadline) {
		int status;
		if (waitpid(child, &status, WNOHANG) == child) {
			kv("child_status", "%d", status);
			break;
		}
		sleep_ms(50);
	}
	kv("parent_done", "1");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "parent") == 0)
		return run_parent(argc, argv);

	double seconds = argc >= 2 ? atof(argv[1]) : 10;
	int with_child = argc >= 3 && strcmp(argv[2], "fork") == 0;
	long ms = (long)(seconds * 1000);

	kv("pid", "%d", (int)getpid());
	pid_t child = -1;
	if (with_child) {
		child = fork();
		if (child == 0) {
			kv("child_ready", "1");
			sleep_ms(ms);
			_exit(0);
		}
	}
	kv("ready", "1");
	sleep_ms(ms);
	if (child > 0)
		waitpid(child, NULL, 0);
	kv("slept", "1");
	return 0;
}
