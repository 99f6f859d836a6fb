/*
 * facts: print what a program sees of its world, as `key=value` lines.
 *
 * Always printed, in this order:
 *   argc, argv.N            the arguments
 *   uid gid euid egid groups
 *   pid ppid sid pgid        (getsid/getpgid of 0)
 *   hostname cwd
 *   CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp Threads SigBlk SigIgn Umask
 *                            (as /proc/self/status has them)
 *   rlimit.NAME=soft/hard    for nofile nproc fsize core cpu as ("unlimited" for infinity)
 *   ns.KIND=LINK             readlink of /proc/self/ns/KIND for user mnt pid net ipc uts cgroup time
 *   fds=0,1,2                the open file descriptors (/proc/self/fd, without the listing's own)
 *   pids=1,2                 the numeric entries of /proc, sorted (or the errno name)
 *   iface=NAME up|down       one line per network interface (if_nameindex + SIOCGIFFLAGS)
 *   mount=MOUNTPOINT FSTYPE MOUNTOPTS SUPEROPTS   one line per /proc/self/mountinfo entry
 *   env=NAME=VALUE           one line per environment entry, in environ order
 *
 * Then each argument that is a command, in order (any other argument is ignored):
 *   read=PATH      read:PATH=ok | ERRNO          open O_RDONLY and read one byte
 *   cat=PATH       cat:PATH=CONTENT | !ERRNO     up to 4 KiB of the file
 *   create=PATH    create:PATH=ok | ERRNO        O_WRONLY|O_CREAT|O_TRUNC, write "created\n"
 *   openw=PATH     openw:PATH=ok | ERRNO         O_WRONLY only: nothing is written
 *   fill=PATH:N    fill:PATH=ok | ERRNO          create PATH and write N zero bytes
 *   stat=PATH      stat:PATH=TYPE MODE UID GID | ERRNO   (lstat; TYPE file dir symlink chr blk fifo sock)
 *                  and for a symlink also readlink:PATH=TEXT
 *   ls=DIR         ls:DIR=NAME:T,NAME:T,...      sorted; T is the type letter f d l c b p s ?
 *   stdin          stdin=CONTENT                 everything on standard input (up to 1 MiB)
 *   say=TEXT       TEXT and a newline, raw, on stdout
 *   err=TEXT       TEXT and a newline, raw, on stderr
 *   exit=N         exit with status N at the end (default 0)
 */
#include "fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void print_argv(int argc, char **argv)
{
	kv("argc", "%d", argc);
	for (int i = 0; i < argc; i++) {
		char key[32];
		snprintf(key, sizeof key, "argv.%d", i);
		kv(key, "%s", argv[i]);
	}
}

static void print_ids(void)
{
	kv("uid", "%u", (unsigned)getuid());
	kv("gid", "%u", (unsigned)getgid());
	kv("euid", "%u", (unsigned)geteuid());
	kv("egid", "%u", (unsigned)getegid());

	gid_t groups[256];
	int n = getgroups(256, groups);
	char buf[4096] = "";
	size_t used = 0;
	for (int i = 0; i < n && used < sizeof buf - 16; i++)
		used += snprintf(buf + used, sizeof buf - used, "%s%u", i ? "," : "", (unsigned)groups[i]);
	kv("groups", "%s", n < 0 ? errname(errno) : buf);

	kv("pid", "%d", (int)getpid());
	kv("ppid", "%d", (int)getppid());
	kv("sid", "%d", (int)getsid(0));
	kv("pgid", "%d", (int)getpgid(0));
}

static void print_host(void)
{
	char name[HOST_NAME_MAX + 1];
	if (gethostname(name, sizeof name) == 0)
		kv("hostname", "%s", name);
	else
		kv("hostname", "!%s", errname(errno));

	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof cwd))
		kv("cwd", "%s", cwd);
	else
		kv("cwd", "!%s", errname(errno));
}

/* Some lines of /proc/self/status (capabilities, no_new_privs, seccomp, threads,
 * signal mask and ignored signals, umask), as they are. */
static void print_status(void)
{
	static const char *wanted[] = {
		"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Threads",
		"SigBlk", "SigIgn", "Umask",
	};
	FILE *f = fopen("/proc/self/status", "re");
	if (!f) {
		kv("status", "!%s", errname(errno));
		return;
	}
	char line[512];
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
			if (strcmp(line, wanted[i]) == 0) {
				char *value = colon + 1;
				value += strspn(value, " \t");
				value[strcspn(value, "\n")] = '\0';
				kv(line, "%s", value);
			}
		}
	}
	fclose(f);
}

static void print_rlimits(void)
{
	static const struct { const char *name; int resource; } limits[] = {
		{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
		{ "fsize", RLIMIT_FSIZE },   { "core", RLIMIT_CORE },
		{ "cpu", RLIMIT_CPU },       { "as", RLIMIT_AS },
	};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		struct rlimit rl;
		char key[64], soft[32], hard[32];
		snprintf(key, sizeof key, "rlimit.%s", limits[i].name);
		if (getrlimit(limits[i].resource, &rl) != 0) {
			kv(key, "!%s", errname(errno));
			continue;
		}
		if (rl.rlim_cur == RLIM_INFINITY)
			snprintf(soft, sizeof soft, "unlimited");
		else
			snprintf(soft, sizeof soft, "%llu", (unsigned long long)rl.rlim_cur);
		if (rl.rlim_max == RLIM_INFINITY)
			snprintf(hard, sizeof hard, "unlimited");
		else
			snprintf(hard, sizeof hard, "%llu", (unsigned long long)rl.rlim_max);
		kv(key, "%s/%s", soft, hard);
	}
}

static void print_namespaces(void)
{
	static const char *kinds[] = { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time" };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char path[64], key[32], link[256];
		snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
		snprintf(key, sizeof key, "ns.%s", kinds[i]);
		ssize_t n = readlink(path, link, sizeof link - 1);
		if (n < 0)
			kv(key, "!%s", errname(errno));
		else
			kv_bytes(key, link, (size_t)n);
	}
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* Print the sorted numeric entries of directory `path` as `key=1,2,3`.
 * `skip` is a number to leave out (the listing's own fd), or -1. */
static void print_numeric_dir(const char *key, const char *path, int skip_own_fd)
{
	DIR *d = opendir(path);
	if (!d) {
		kv(key, "!%s", errname(errno));
		return;
	}
	long skip = skip_own_fd ? dirfd(d) : -1;
	long nums[4096];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < sizeof nums / sizeof nums[0]) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end != '\0' || end == e->d_name || v == skip)
			continue;
		nums[n++] = v;
	}
	closedir(d);
	qsort(nums, n, sizeof nums[0], cmp_long);
	char buf[16384] = "";
	size_t used = 0;
	for (size_t i = 0; i < n && used < sizeof buf - 24; i++)
		used += snprintf(buf + used, sizeof buf - used, "%s%ld", i ? "," : "", nums[i]);
	kv(key, "%s", buf);
}

static void print_interfaces(void)
{
	struct if_nameindex *ifs = if_nameindex();
	if (!ifs) {
		kv("iface", "!%s", errname(errno));
		return;
	}
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (struct if_nameindex *i = ifs; i->if_index != 0; i++) {
		struct ifreq req;
		memset(&req, 0, sizeof req);
		snprintf(req.ifr_name, sizeof req.ifr_name, "%s", i->if_name);
		const char *state = "unknown";
		if (sock >= 0 && ioctl(sock, SIOCGIFFLAGS, &req) == 0)
			state = (req.ifr_flags & IFF_UP) ? "up" : "down";
		kv("iface", "%s %s", i->if_name, state);
	}
	if (sock >= 0)
		close(sock);
	if_freenameindex(ifs);
}

/* mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
static void print_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		kv("mount", "!%s", errname(errno));
		return;
	}
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *fields[64];
		int n = 0;
		for (char *tok = strtok(line, " "); tok && n < 64; tok = strtok(NULL, " "))
			fields[n++] = tok;
		int dash = -1;
		for (int i = 6; i < n; i++)
			if (strcmp(fields[i], "-") == 0) {
				dash = i;
				break;
			}
		if (n < 6 || dash < 0)
			continue;
		const char *fstype = dash + 1 < n ? fields[dash + 1] : "?";
		const char *super = dash + 3 < n ? fields[dash + 3] : "";
		kv("mount", "%s %s %s %s", fields[4], fstype, fields[5], super);
	}
	fclose(f);
}

static void print_env(void)
{
	for (char **e = environ; e && *e; e++)
		kv("env", "%s", *e);
}

/* ---- commands ---- */

static void cmd_read(const char *path)
{
	char key[PATH_MAX + 16], c;
	snprintf(key, sizeof key, "read:%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kv(key, "%s", errname(errno));
		return;
	}
	ssize_t r = read(fd, &c, 1);
	kv(key, "%s", r < 0 ? errname(errno) : "ok");
	close(fd);
}

static void cmd_cat(const char *path)
{
	char key[PATH_MAX + 16], buf[4096];
	snprintf(key, sizeof key, "cat:%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kv(key, "!%s", errname(errno));
		return;
	}
	size_t used = 0;
	ssize_t r;
	while (used < sizeof buf && (r = read(fd, buf + used, sizeof buf - used)) > 0)
		used += (size_t)r;
	close(fd);
	kv_bytes(key, buf, used);
}

static void cmd_create(const char *path)
{
	char key[PATH_MAX + 16];
	snprintf(key, sizeof key, "create:%s", path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kv(key, "%s", errname(errno));
		return;
	}
	const char msg[] = "created\n";
	ssize_t w = write(fd, msg, sizeof msg - 1);
	kv(key, "%s", w == (ssize_t)(sizeof msg - 1) ? "ok" : errname(errno));
	close(fd);
}

static void cmd_openw(const char *path)
{
	char key[PATH_MAX + 16];
	snprintf(key, sizeof key, "openw:%s", path);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		kv(key, "%s", errname(errno));
		return;
	}
	kv(key, "ok");
	close(fd);
}

static void cmd_fill(const char *arg)
{
	char path[PATH_MAX], key[PATH_MAX + 16];
	const char *colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= sizeof path) {
		kv("fill", "!bad argument %s", arg);
		return;
	}
	memcpy(path, arg, (size_t)(colon - arg));
	path[colon - arg] = '\0';
	long long want = atoll(colon + 1);
	snprintf(key, sizeof key, "fill:%s", path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kv(key, "%s", errname(errno));
		return;
	}
	static char zeros[65536];
	long long done = 0;
	int err = 0;
	while (done < want) {
		size_t chunk = want - done < (long long)sizeof zeros ? (size_t)(want - done) : sizeof zeros;
		ssize_t w = write(fd, zeros, chunk);
		if (w <= 0) {
			err = w < 0 ? errno : ENOSPC;
			break;
		}
		done += w;
	}
	if (!err && fsync(fd) != 0 && errno != EINVAL)
		err = errno;
	kv(key, "%s", err ? errname(err) : "ok");
	close(fd);
}

static char type_letter(mode_t m)
{
	if (S_ISREG(m)) return 'f';
	if (S_ISDIR(m)) return 'd';
	if (S_ISLNK(m)) return 'l';
	if (S_ISCHR(m)) return 'c';
	if (S_ISBLK(m)) return 'b';
	if (S_ISFIFO(m)) return 'p';
	if (S_ISSOCK(m)) return 's';
	return '?';
}

static const char *type_name(mode_t m)
{
	switch (type_letter(m)) {
	case 'f': return "file";
	case 'd': return "dir";
	case 'l': return "symlink";
	case 'c': return "chr";
	case 'b': return "blk";
	case 'p': return "fifo";
	case 's': return "sock";
	default: return "unknown";
	}
}

static void cmd_stat(const char *path)
{
	char key[PATH_MAX + 16];
	struct stat st;
	snprintf(key, sizeof key, "stat:%s", path);
	if (lstat(path, &st) != 0) {
		kv(key, "%s", errname(errno));
		return;
	}
	kv(key, "%s %04o %u %u", type_name(st.st_mode), (unsigned)(st.st_mode & 07777),
	   (unsigned)st.st_uid, (unsigned)st.st_gid);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof target - 1);
		snprintf(key, sizeof key, "readlink:%s", path);
		if (n < 0)
			kv(key, "!%s", errname(errno));
		else
			kv_bytes(key, target, (size_t)n);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cmd_ls(const char *dir)
{
	char key[PATH_MAX + 16];
	snprintf(key, sizeof key, "ls:%s", dir);
	DIR *d = opendir(dir);
	if (!d) {
		kv(key, "!%s", errname(errno));
		return;
	}
	char *names[1024];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 1024) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct stat st;
		char letter = '?';
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			letter = type_letter(st.st_mode);
		if (asprintf(&names[n], "%s:%c", e->d_name, letter) >= 0)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp_str);
	char buf[16384] = "";
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (used < sizeof buf - 1)
			used += snprintf(buf + used, sizeof buf - used, "%s%s", i ? "," : "", names[i]);
		free(names[i]);
	}
	kv(key, "%s", buf);
}

static void cmd_stdin(void)
{
	static char buf[1 << 20];
	size_t used = 0;
	ssize_t r;
	while (used < sizeof buf && (r = read(0, buf + used, sizeof buf - used)) > 0)
		used += (size_t)r;
	kv_bytes("stdin", buf, used);
}

static int starts(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0)
		return 0;
	*rest = s + n;
	return 1;
}

int main(int argc, char **argv)
{
	print_argv(argc, argv);
	print_ids();
	print_host();
	print_status();
	print_rlimits();
	print_namespaces();
	print_numeric_dir("fds", "/proc/self/fd", 1);
	print_numeric_dir("pids", "/proc", 0);
	print_interfaces();
	print_mounts();
	print_env();

	int status = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *rest;
		if (starts(a, "read=", &rest))
			cmd_read(rest);
		else if (starts(a, "cat=", &rest))
			cmd_cat(rest);
		else if (starts(a, "create=", &rest))
			cmd_create(rest);
		else if (starts(a, "openw=", &rest))
			cmd_openw(rest);
		else if (starts(a, "fill=", &rest))
			cmd_fill(rest);
		else if (starts(a, "stat=", &rest))
			cmd_stat(rest);
		else if (starts(a, "ls=", &rest))
			cmd_ls(rest);
		else if (strcmp(a, "stdin") == 0)
			cmd_stdin();
		else if (starts(a, "say=", &rest)) {
			printf("%s\n", rest);
			fflush(stdout);
		} else if (starts(a, "err=", &rest)) {
			fprintf(stderr, "%s\n", rest);
			fflush(stderr);
		} else if (starts(a, "exit=", &rest))
			status = atoi(rest);
	}
	kv("done", "1");
	return status;
}
