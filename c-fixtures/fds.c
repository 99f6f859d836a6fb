/*
 * fds: list the open file descriptors and what they point to.
 *
 *   fds [read=N]...
 *
 * Prints `fds=0,1,2,...` (sorted, without the listing's own descriptor), then
 * `fd.N=TARGET` (readlink of /proc/self/fd/N) for each, then for each `read=N`
 * argument `read.N=CONTENT` (up to 4 KiB read from fd N) or `read.N=!ERRNO`.
 */
#include "fixture.h"

#include <dirent.h>
#include <limits.h>
#include <unistd.h>

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		kv("fds", "!%s", errname(errno));
		return 1;
	}
	int own = dirfd(d), fds[1024];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 1024) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end == '\0' && end != e->d_name && v != own)
			fds[n++] = (int)v;
	}
	closedir(d);
	qsort(fds, n, sizeof fds[0], cmp_int);

	char list[8192] = "";
	size_t used = 0;
	for (size_t i = 0; i < n && used < sizeof list - 16; i++)
		used += snprintf(list + used, sizeof list - used, "%s%d", i ? "," : "", fds[i]);
	kv("fds", "%s", list);

	for (size_t i = 0; i < n; i++) {
		char link[64], target[PATH_MAX], key[32];
		snprintf(link, sizeof link, "/proc/self/fd/%d", fds[i]);
		snprintf(key, sizeof key, "fd.%d", fds[i]);
		ssize_t len = readlink(link, target, sizeof target - 1);
		if (len < 0)
			kv(key, "!%s", errname(errno));
		else
			kv_bytes(key, target, (size_t)len);
	}

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "read=", 5) != 0)
			continue;
		int fd = atoi(argv[i] + 5);
		char key[32], buf[4096];
		snprintf(key, sizeof key, "read.%d", fd);
		ssize_t r = pread(fd, buf, sizeof buf, 0);
		if (r < 0)
			kv(key, "!%s", errname(errno));
		else
			kv_bytes(key, buf, (size_t)r);
	}
	return 0;
}
