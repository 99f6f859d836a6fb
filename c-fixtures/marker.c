/*
 * marker: prove that main ran by writing a file.
 *
 *   marker PATH     writes "main ran\n" to PATH and prints marker=written
 *
 * Used with bad policies: the library must refuse to run main, so PATH (a host
 * directory that the policy also binds writable at the same path) stays absent.
 */
#include "fixture.h"

#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: marker PATH\n");
		return 2;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kv("marker", "%s", errname(errno));
		return 1;
	}
	const char msg[] = "main ran\n";
	if (write(fd, msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1)) {
		kv("marker", "%s", errname(errno));
		return 1;
	}
	close(fd);
	kv("marker", "written");
	return 0;
}
