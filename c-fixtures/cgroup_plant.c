/*
 * cgroup_plant: what a hostile program might leave where the monitor writes
 * cgroup.stats_file after the run.
 *
 *   cgroup_plant symlink PATH TARGET    replace PATH by a symlink to TARGET
 *   cgroup_plant file PATH              replace PATH by a file holding "planted\n"
 *
 * Prints `plant=ok` or `plant=ERRNO` and exits 0.
 */
#include "fixture.h"

#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "symlink") == 0) {
		unlink(argv[2]);
		kv("plant", "%s", symlink(argv[3], argv[2]) == 0 ? "ok" : errname(errno));
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "file") == 0) {
		unlink(argv[2]);
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0666);
		if (fd < 0 || write(fd, "planted\n", 8) != 8) {
			kv("plant", "%s", errname(errno));
			return 0;
		}
		close(fd);
		kv("plant", "ok");
		return 0;
	}
	fprintf(stderr, "usage: cgroup_plant symlink PATH TARGET | file PATH\n");
	return 2;
}
