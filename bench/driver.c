/*
 * driver: times short commands, alternating them, for bench/run.sh.
 *
 *   driver [--runs N] [--warmup W] [--fd3 PATH] [--any-status] -v NAME 'CMD' [-v NAME 'CMD']...
 *
 * Each round runs every variant once, in an order rotated by one each round (A B C,
 * B C A, C A B...), so that slow drifts of a shared, noisy machine hit every variant
 * alike. A run is spawn (posix_spawn: vfork-like, the same cheap start for every
 * variant) to waitpid, on CLOCK_MONOTONIC. Every run must exit 0 (--any-status: any
 * status will do, for profiling runs that stop early on purpose).
 *
 * CMD is split on spaces; leading NAME=VALUE words are added to the environment (so no
 * `env` process is timed); `-NAME` words remove NAME from it. --fd3 opens PATH as fd 3
 * for every child (bubblewrap runs the fixture as /proc/self/fd/3: its new root has no
 * other way to see it).
 *
 * The driver is a child subreaper: a process that a run leaves behind re-parents to it
 * and is counted in `leftover_children`.
 *
 * Output, on stdout, one JSON object:
 *   {"runs":N,"warmup":W,"variants":[{"name":..,"cmd":..,"us":[...]}...],
 *    "leftover_children":K,"fds_before":A,"fds_after":B}
 * us: microseconds of each measured run, in run order. Statistics are bench/report.py's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_VARIANTS 16
#define MAX_WORDS 1024
#define MAX_ENV 2048

struct variant {
	const char *name;
	const char *cmd;
	char *argv[MAX_WORDS];
	char *envp[MAX_ENV];
	double *us;
};

static void die(const char *what)
{
	fprintf(stderr, "driver: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int env_has_name(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

/* Split `cmd` into argv and an environment (ours, plus NAME=VALUE, minus -NAME). */
static void parse(struct variant *v)
{
	char *copy = strdup(v->cmd);
	char *words[MAX_WORDS];
	int n = 0;
	for (char *w = strtok(copy, " "); w && n < MAX_WORDS - 1; w = strtok(NULL, " "))
		words[n++] = w;
	int e = 0;
	for (char **p = environ; *p && e < MAX_ENV - MAX_WORDS; p++)
		v->envp[e++] = *p;
	int i = 0;
	for (; i < n; i++) {
		char *eq = strchr(words[i], '=');
		int unset = words[i][0] == '-' && !eq;
		if (!unset && (!eq || eq == words[i] || words[i][0] == '/' || words[i][0] == '.'))
			break;
		const char *name = unset ? words[i] + 1 : words[i];
		size_t len = unset ? strlen(name) : (size_t)(eq - words[i]);
		int k = 0;
		for (int j = 0; j < e; j++)
			if (!env_has_name(v->envp[j], name, len))
				v->envp[k++] = v->envp[j];
		e = k;
		if (!unset)
			v->envp[e++] = words[i];
	}
	v->envp[e] = NULL;
	int a = 0;
	for (; i < n; i++)
		v->argv[a++] = words[i];
	v->argv[a] = NULL;
	if (a == 0) {
		fprintf(stderr, "driver: variant %s has no command\n", v->name);
		exit(2);
	}
}

static int any_status;

static double run_once(struct variant *v)
{
	pid_t pid;
	int status;
	double t0 = now_us();
	int err = posix_spawn(&pid, v->argv[0], NULL, NULL, v->argv, v->envp);
	if (err) {
		errno = err;
		die(v->argv[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	double t1 = now_us();
	if (!any_status && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		fprintf(stderr, "driver: variant %s (%s) ended with wait status %#x\n", v->name, v->cmd, status);
		exit(1);
	}
	return t1 - t0;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the descriptor of the directory itself */
}

static int count_children(void)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int n = 0;
	while (fscanf(f, "%4095s", buf) == 1)
		n++;
	fclose(f);
	return n;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	static struct variant vs[MAX_VARIANTS];
	int nv = 0, runs = 30, warmup = 3;
	const char *fd3 = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
			warmup = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--any-status"))
			any_status = 1;
		else if (!strcmp(argv[i], "--fd3") && i + 1 < argc)
			fd3 = argv[++i];
		else if (!strcmp(argv[i], "-v") && i + 2 < argc && nv < MAX_VARIANTS) {
			memset(&vs[nv], 0, sizeof vs[nv]);
			vs[nv].name = argv[++i];
			vs[nv].cmd = argv[++i];
			nv++;
		} else {
			fprintf(stderr, "usage: driver [--runs N] [--warmup W] [--fd3 PATH] [--any-status] -v NAME 'CMD'...\n");
			return 2;
		}
	}
	if (nv == 0 || runs < 1)
		return 2;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER");
	if (fd3) {
		int fd = open(fd3, O_RDONLY);
		if (fd < 0)
			die(fd3);
		if (fd != 3) {
			if (dup2(fd, 3) < 0)
				die("dup2");
			close(fd);
		}
	}
	for (int i = 0; i < nv; i++) {
		parse(&vs[i]);
		vs[i].us = calloc((size_t)runs, sizeof(double));
	}
	int fds_before = count_dir("/proc/self/fd");
	for (int r = 0; r < warmup + runs; r++) {
		for (int j = 0; j < nv; j++) {
			struct variant *v = &vs[(j + r) % nv];
			double t = run_once(v);
			if (r >= warmup)
				v->us[r - warmup] = t;
		}
	}
	int fds_after = count_dir("/proc/self/fd");
	/* A run's orphans re-parent to us; give exiting ones a moment, then count. */
	int left = count_children();
	for (int tries = 0; left > 0 && tries < 50; tries++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		usleep(10000);
		left = count_children();
	}
	printf("{\"runs\":%d,\"warmup\":%d,\"variants\":[", runs, warmup);
	for (int i = 0; i < nv; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_string(vs[i].name);
		printf(",\"cmd\":");
		json_string(vs[i].cmd);
		printf(",\"us\":[");
		for (int r = 0; r < runs; r++)
			printf("%s%.1f", r ? "," : "", vs[i].us[r]);
		printf("]}");
	}
	printf("],\"leftover_children\":%d,\"fds_before\":%d,\"fds_after\":%d}\n", left, fds_before, fds_after);
	return 0;
}
