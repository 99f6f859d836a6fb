/*
 * bench_mem: memory of the process at `main`, for the memory benchmark (bench/run.sh).
 *
 *   bench_mem          print the Pss/Rss figures of /proc/self/smaps_rollup (kB) and exit
 *   bench_mem sleep    the same, then `ready=1`, then sleep until killed (so the
 *                      benchmark can read the sandbox's other processes meanwhile)
 */
#include "fixture.h"

#include <unistd.h>

int main(int argc, char **argv)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	if (!f) {
		kv("error", "open /proc/self/smaps_rollup: %s", errname(errno));
		return 1;
	}
	/* Read everything first: printing allocates stdout's buffer. */
	char lines[64][128];
	int count = 0;
	while (count < 64 && fgets(lines[count], sizeof lines[count], f))
		count++;
	fclose(f);
	for (int i = 0; i < count; i++) {
		char key[64];
		long kb;
		if (strstr(lines[i], " kB") && sscanf(lines[i], "%63[^:]: %ld kB", key, &kb) == 2)
			kv(key, "%ld", kb);
	}
	if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
		kv("ready", "1");
		for (;;)
			pause();
	}
	return 0;
}
