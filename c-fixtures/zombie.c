/*
 * zombie: make orphans that die as children of PID 1, and check they are reaped.
 *
 *   zombie [N]      (default 5)
 *
 * A child forks N grandchildren and exits at once, so the grandchildren are
 * re-parented to PID 1 (the sandbox's init). Each grandchild waits until that
 * happened, reports `pid ppid` through a pipe and exits, becoming a zombie that
 * only PID 1 can reap. The fixture prints `orphan_parent=PPID` for each
 * (expected 1), then waits up to 5 s for every grandchild to disappear from
 * /proc and prints `reaped=N` and `unreaped=M`, then `zombies=K`: the number of
 * processes in state Z visible in /proc at the end.
 */
#include "fixture.h"

#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct report {
	int pid;
	int ppid;
};

/* 'Z' for a zombie, another state letter, or 0 if the process is gone. */
static char process_state(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static int count_zombies(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end == '\0' && end != e->d_name && process_state((int)pid) == 'Z')
			count++;
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	int n = argc >= 2 ? atoi(argv[1]) : 5;
	if (n < 1 || n > 64)
		n = 5;
	int fds[2];
	if (pipe(fds) != 0) {
		kv("pipe", "%s", errname(errno));
		return 1;
	}
	fflush(stdout);
	pid_t middle = fork();
	if (middle < 0) {
		kv("fork", "%s", errname(errno));
		return 1;
	}
	if (middle == 0) {
		close(fds[0]);
		pid_t me = getpid();
		for (int i = 0; i < n; i++) {
			if (fork() == 0) {
				/* Wait (bounded) until our parent has exited and we were re-parented. */
				long long deadline = now_ms() + 5000;
				while (getppid() == me && now_ms() < deadline)
					sleep_ms(5);
				struct report r = { getpid(), getppid() };
				if (write(fds[1], &r, sizeof r) != sizeof r)
					_exit(1);
				_exit(0);
			}
		}
		_exit(0);
	}
	close(fds[1]);
	waitpid(middle, NULL, 0);

	int pids[64], got = 0;
	long long deadline = now_ms() + 5000;
	while (got < n && now_ms() < deadline) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		if (poll(&p, 1, 100) <= 0)
			continue;
		struct report r;
		ssize_t rd = read(fds[0], &r, sizeof r);
		if (rd != sizeof r)
			break;
		pids[got++] = r.pid;
		kv("orphan_parent", "%d", r.ppid);
	}
	kv("orphans", "%d", got);

	/* Each grandchild exits right after writing; PID 1 must reap it. */
	int left = got;
	deadline = now_ms() + 5000;
	while (left > 0 && now_ms() < deadline) {
		left = 0;
		for (int i = 0; i < got; i++)
			if (process_state(pids[i]) != 0)
				left++;
		if (left)
			sleep_ms(20);
	}
	kv("reaped", "%d", got - left);
	kv("unreaped", "%d", left);
	kv("zombies", "%d", count_zombies());
	return 0;
}
