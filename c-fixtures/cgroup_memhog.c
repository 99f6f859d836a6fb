/*
 * cgroup_memhog: use memory until told to stop or killed, for the cgroup memory limit.
 *
 *   cgroup_memhog MB
 *       allocates MB MiB, 1 MiB at a time, writing every byte (so the pages are really
 *       used, not just reserved); prints `allocated_mb=N` after every 8 MiB and
 *       `done=1` when all of it is in use, then exits 0. Under a smaller memory limit the
 *       OOM killer ends it with SIGKILL before `done`.
 */
#include "fixture.h"

int main(int argc, char **argv)
{
	long mb = argc >= 2 ? atol(argv[1]) : 64;
	kv("target_mb", "%ld", mb);
	for (long i = 1; i <= mb; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			kv("malloc", "%s", errname(errno));
			return 1;
		}
		memset(p, (int)(i & 0xff) | 1, 1 << 20);
		if (i % 8 == 0)
			kv("allocated_mb", "%ld", i);
	}
	kv("done", "1");
	return 0;
}
