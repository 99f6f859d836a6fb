/*
 * capi: a program that sandboxes itself with the C API (include/sandbox.h).
 *
 *   capi POLICY|- [CMD...]     POLICY "-" means NULL (the built-in default policy)
 *
 * Prints, before the call:
 *   before.pid=N              the pid the caller started
 *   capi=unlinked             (and exits 3) when built without -lsandbox: the symbols are
 *                             weak, so the harness can build every fixture without it
 * then calls sandbox_enter(POLICY) and prints:
 *   enter=0 | enter=-1 error=MESSAGE   (on -1 it goes on unsandboxed, to show that)
 *   pid ppid uid hostname NoNewPrivs CapEff Seccomp   what the code after the call sees
 *   root=NAME,NAME,...        the entries of / (sorted)
 *   sandbox_env=NAME,...      SANDBOX_* variables still in the environment
 * then runs each CMD:
 *   again                     call sandbox_enter(POLICY) a second time: again=RESULT
 *   create=PATH               create:PATH=ok | ERRNO
 *   exit=N                    exit with status N at the end (default 0)
 *   kill=SIG                  raise signal SIG (a number) at the end
 */
#include "fixture.h"
#include "../include/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

/* Weak: linked with -lsandbox they resolve to the library; built without, they are NULL. */
#pragma weak sandbox_enter
#pragma weak sandbox_last_error

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_status(void)
{
	static const char *wanted[] = { "NoNewPrivs", "CapEff", "Seccomp" };
	FILE *f = fopen("/proc/self/status", "re");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
			if (strcmp(line, wanted[i]) == 0) {
				char *value = colon + 1 + strspn(colon + 1, " \t");
				value[strcspn(value, "\n")] = '\0';
				kv(line, "%s", value);
			}
		}
	}
	if (f)
		fclose(f);
}

static void print_root(void)
{
	char *names[256];
	size_t n = 0;
	DIR *d = opendir("/");
	struct dirent *e;
	while (d && (e = readdir(d)) && n < 256)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof names[0], cmp_str);
	char buf[4096] = "";
	size_t used = 0;
	for (size_t i = 0; i < n && used < sizeof buf - 300; i++)
		used += snprintf(buf + used, sizeof buf - used, "%s%s", i ? "," : "", names[i]);
	kv("root", "%s", buf);
}

static void print_sandbox_env(void)
{
	char buf[4096] = "";
	size_t used = 0;
	for (char **e = environ; *e && used < sizeof buf - 300; e++)
		if (strncmp(*e, "SANDBOX_", 8) == 0)
			used += snprintf(buf + used, sizeof buf - used, "%s%.*s", used ? "," : "", (int)strcspn(*e, "="), *e);
	kv("sandbox_env", "%s", buf);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: capi POLICY|- [CMD...]\n");
		return 2;
	}
	const char *policy = strcmp(argv[1], "-") == 0 ? NULL : argv[1];
	kv("before.pid", "%d", (int)getpid());
	if (!sandbox_enter) {
		kv("capi", "unlinked");
		return 3;
	}
	if (sandbox_enter(policy) == 0) {
		kv("enter", "0");
	} else {
		kv("enter", "-1");
		kv("error", "%s", sandbox_last_error() ? sandbox_last_error() : "(null)");
	}
	kv("pid", "%d", (int)getpid());
	kv("ppid", "%d", (int)getppid());
	kv("uid", "%u", (unsigned)getuid());
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	kv("hostname", "%s", host);
	print_status();
	print_root();
	print_sandbox_env();

	int status = 0, sig = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "again") == 0) {
			int r = sandbox_enter(policy);
			kv("again", "%d", r);
			if (r != 0)
				kv("again.error", "%s", sandbox_last_error() ? sandbox_last_error() : "(null)");
		} else if (strncmp(a, "create=", 7) == 0) {
			char key[4200];
			snprintf(key, sizeof key, "create:%s", a + 7);
			int fd = open(a + 7, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0 || write(fd, "created\n", 8) != 8)
				kv(key, "%s", errname(errno));
			else
				kv(key, "ok");
			if (fd >= 0)
				close(fd);
		} else if (strncmp(a, "exit=", 5) == 0) {
			status = atoi(a + 5);
		} else if (strncmp(a, "kill=", 5) == 0) {
			sig = atoi(a + 5);
		}
	}
	if (sig)
		raise(sig);
	return status;
}
