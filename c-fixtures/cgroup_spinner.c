/*
 * cgroup_spinner: burn CPU, for the cgroup CPU bandwidth and cpuset limits.
 *
 *   cgroup_spinner MS [PROCS]
 *       prints `affinity=LIST` (the CPUs sched_getaffinity allows, "0-1,3"), then
 *       spins for MS milliseconds of wall time in PROCS processes (default 1) and
 *       prints `wall_ms=`, `cpu_ms=` (user + system time of all of them, getrusage)
 *       and `cpus_used=` (cpu_ms / wall_ms, in CPUs).
 */
#include "fixture.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void spin_until(long long end)
{
	volatile unsigned long x = 0;
	while (now_ms() < end)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
}

static long long ms_of(struct timeval tv)
{
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int main(int argc, char **argv)
{
	long ms = argc >= 2 ? atol(argv[1]) : 1000;
	int procs = argc >= 3 ? atoi(argv[2]) : 1;

	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		char list[1024] = "";
		size_t len = 0;
		for (int c = 0; c < CPU_SETSIZE; c++) {
			if (!CPU_ISSET(c, &set))
				continue;
			int e = c;
			while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &set))
				e++;
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", len ? "," : "", c);
			if (e > c)
				len += (size_t)snprintf(list + len, sizeof list - len, "-%d", e);
			c = e;
		}
		kv("affinity", "%s", list);
	} else {
		kv("affinity", "%s", errname(errno));
	}

	long long start = now_ms(), end = start + ms;
	for (int i = 1; i < procs; i++) {
		pid_t c = fork();
		if (c == 0) {
			spin_until(end);
			_exit(0);
		}
	}
	spin_until(end);
	while (wait(NULL) > 0)
		;
	long long wall = now_ms() - start;
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	long long cpu = ms_of(self.ru_utime) + ms_of(self.ru_stime) + ms_of(kids.ru_utime) + ms_of(kids.ru_stime);
	kv("wall_ms", "%lld", wall);
	kv("cpu_ms", "%lld", cpu);
	kv("cpus_used", "%.3f", wall > 0 ? (double)cpu / (double)wall : 0.0);
	return 0;
}
