/*
 * floor: the kernel work of libsandbox's full-isolation start-up, in plain C, as a
 * reference point for bench/run.sh: how fast this design can be on this machine.
 *
 *   floor [--host-net]   then exits 0 from the "app"; nothing is exec'd
 *
 * The same three processes and the same steps as libsandbox with bench/policies/full.toml
 * (see src/plan.rs), without policy parsing, host probing, plan printing, the network
 * helper (the namespace comes with the clone), the seccomp filter, the ptrace exit stop or
 * error reporting: monitor clone(user, mount, pid, net, ipc, uts) -> id maps -> init:
 * cgroup ns, / private, setup tmpfs + pivot, tmpfs root, /dev (6 binds, pts, shm, links),
 * /proc (+ sys, irq, bus read-only), 5 read-only binds, tmpfs /tmp, pivot + one lazy
 * unmount, hostname, lo up -> fork the app: caps dropped, no_new_privs -> return 0.
 * Errors: message and exit 125. Run it from a process whose bench_true is not needed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x1
#define MOUNT_ATTR_NOSUID 0x2
#define MOUNT_ATTR_NODEV 0x4
#define MOUNT_ATTR_NOEXEC 0x8
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct mount_attr_ {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

static void die(const char *what)
{
	fprintf(stderr, "floor: %s: %m\n", what);
	_exit(125);
}

static void setattr(const char *path, unsigned long long attrs, int recursive)
{
	struct mount_attr_ a = { attrs, 0, 0, 0 };
	if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a, sizeof a) < 0)
		die(path);
}

static void bind_ro(const char *src, const char *dst)
{
	if (mkdir(dst, 0755) < 0)
		die(dst);
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		die(src);
	setattr(dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		die(path);
	close(fd);
}

static void init_steps(int host_net)
{
	static const char *nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	if (unshare(CLONE_NEWCGROUP) < 0)
		die("unshare cgroup");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("private /");
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0 || chdir("/tmp") < 0)
		die("setup tmpfs");
	if (mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0 || syscall(SYS_pivot_root, ".", "oldroot") < 0 || chdir("/") < 0)
		die("pivot into the setup tmpfs");
	if (mount("tmpfs", "/newroot", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die("tmpfs root");
	if (mkdir("/newroot/dev", 0755) < 0 || mount("tmpfs", "/newroot/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
		die("/dev");
	for (unsigned i = 0; i < sizeof nodes / sizeof *nodes; i++) {
		char src[64], dst[64];
		snprintf(src, sizeof src, "/oldroot/dev/%s", nodes[i]);
		snprintf(dst, sizeof dst, "/newroot/dev/%s", nodes[i]);
		int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			die(dst);
		close(fd);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			die(src);
	}
	setattr("/newroot/dev", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 1);
	if (mkdir("/newroot/dev/pts", 0755) < 0 ||
	    mount("devpts", "/newroot/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0)
		die("devpts");
	if (mkdir("/newroot/dev/shm", 0755) < 0 || mount("tmpfs", "/newroot/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		die("shm");
	if (symlink("pts/ptmx", "/newroot/dev/ptmx") < 0 || symlink("/proc/self/fd", "/newroot/dev/fd") < 0 ||
	    symlink("/proc/self/fd/0", "/newroot/dev/stdin") < 0 || symlink("/proc/self/fd/1", "/newroot/dev/stdout") < 0 ||
	    symlink("/proc/self/fd/2", "/newroot/dev/stderr") < 0)
		die("/dev links");
	if (mkdir("/newroot/proc", 0755) < 0 || mount("proc", "/newroot/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("proc");
	static const char *ro[] = { "/newroot/proc/sys", "/newroot/proc/irq", "/newroot/proc/bus" };
	for (unsigned i = 0; i < 3; i++) {
		if (mount(ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL) < 0)
			die(ro[i]);
		setattr(ro[i], MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 1);
	}
	bind_ro("/oldroot/usr", "/newroot/usr");
	bind_ro("/oldroot/usr/lib", "/newroot/lib");
	bind_ro("/oldroot/usr/lib64", "/newroot/lib64");
	bind_ro("/oldroot/usr/bin", "/newroot/bin");
	bind_ro("/oldroot/etc", "/newroot/etc");
	if (mkdir("/newroot/tmp", 0755) < 0 || mount("tmpfs", "/newroot/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0)
		die("/tmp");
	if (chdir("/newroot") < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		die("pivot into the new root");
	if (sethostname("sandbox", 7) < 0)
		die("hostname");
	if (!host_net) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct ifreq r;
		memset(&r, 0, sizeof r);
		strcpy(r.ifr_name, "lo");
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &r) < 0)
			die("lo");
		r.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &r) < 0)
			die("lo up");
		close(s);
	}
}

static void app_steps(void)
{
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			break;
	struct { unsigned version; int pid; } hdr = { 0x20080522, 0 };
	unsigned data[6] = { 0 };
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs");
}

int main(int argc, char **argv)
{
	int host_net = argc > 1 && !strcmp(argv[1], "--host-net");
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		die("pipe");
	int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | (host_net ? 0 : CLONE_NEWNET);
	pid_t init = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (init < 0)
		die("clone");
	if (init == 0) {
		char b;
		close(go[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go[0], &b, 1) != 1)
			_exit(125);
		init_steps(host_net);
		pid_t app = fork();
		if (app < 0)
			die("fork");
		if (app == 0) {
			app_steps();
			_exit(0); /* the app's main: return 0 */
		}
		int st;
		while (waitpid(app, &st, 0) < 0)
			;
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	char path[64], map[64];
	snprintf(map, sizeof map, "%d %d 1\n", (int)getuid(), (int)getuid());
	snprintf(path, sizeof path, "/proc/%d/uid_map", (int)init);
	write_file(path, map);
	snprintf(path, sizeof path, "/proc/%d/setgroups", (int)init);
	write_file(path, "deny\n");
	snprintf(map, sizeof map, "%d %d 1\n", (int)getgid(), (int)getgid());
	snprintf(path, sizeof path, "/proc/%d/gid_map", (int)init);
	write_file(path, map);
	if (write(go[1], "g", 1) != 1)
		die("go");
	int st;
	while (waitpid(init, &st, 0) < 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 125;
}
