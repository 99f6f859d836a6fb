/*
 * seccomp_calls: make the system calls named on the command line, one after the other,
 * and report each result, for the seccomp tests.
 *
 *   seccomp_calls STEP...
 *
 * Prints `started=1` first, then `<step>=<result>` per step: `ok:<return value>` or the
 * errno name (`EPERM`). Output goes out with raw write(2) calls on a stack buffer, and the
 * program ends with exit_group(2) itself: a policy that allows only `write` and
 * `exit_group` can run it (no stdio, no malloc, no atexit; hence not fixture.h's kv()).
 *
 * Steps:
 *   nr:N[:A0[:A1]]      syscall(N, A0, A1, 0, 0, 0, 0) (numbers in C syntax: 0x.., -1)
 *   exit:N              exit_group(N)
 *   x32:N               syscall(N | 0x40000000): an x32 system call
 *   int80:N             `int $0x80` with eax = N: an i386 system call
 *   handler             install a SIGSYS handler that prints `trapped=<si_syscall>` and
 *                       returns (a kill must not be turned into a continue by it)
 *   thread:N            syscall(N) in a new thread, then join it (`<step>=joined`)
 *   execve:PATH         execve(PATH) with no arguments (only reports if it fails)
 *   pty                 setsid, open a pty and make it the controlling terminal
 *   tiocsti | tiocsti_high | tioclinux | tcgets
 *                       ioctl on that terminal: TIOCSTI, TIOCSTI with bit 32 set in the
 *                       request, TIOCLINUX, TCGETS
 *   clone_newuser       clone(CLONE_NEWUSER | SIGCHLD): the child exits at once
 *   clone3              clone3(NULL, 0)
 */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void say(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *key, const char *fmt, ...)
{
	char buf[512];
	int n = snprintf(buf, sizeof buf, "%s=", key);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	syscall(SYS_write, 1, buf, (size_t)n);
}

static void report(const char *step, long r)
{
	if (r == -1)
		say(step, "%s", errname(errno));
	else
		say(step, "ok:%ld", r);
}

static long num(const char *s)
{
	return (long)strtoull(s, NULL, 0);
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	say("trapped", "%d", si->si_syscall);
}

static long int80(long nr)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}

static void *thread_call(void *arg)
{
	return (void *)syscall((long)arg);
}

static int tty = -1;

int main(int argc, char **argv)
{
	(void)kv; /* fixture.h's stdio reporting is not used: see say() */
	say("started", "1");
	for (int i = 1; i < argc; i++) {
		const char *step = argv[i];
		const char *arg = strchr(step, ':') ? strchr(step, ':') + 1 : "";
		if (!strncmp(step, "nr:", 3)) {
			long a[2] = { 0, 0 };
			long n = num(arg);
			const char *p = strchr(arg, ':');
			for (int k = 0; p && k < 2; k++, p = strchr(p + 1, ':'))
				a[k] = num(p + 1);
			report(step, syscall(n, a[0], a[1], 0, 0, 0, 0));
		} else if (!strncmp(step, "exit:", 5)) {
			syscall(SYS_exit_group, num(arg));
		} else if (!strncmp(step, "x32:", 4)) {
			report(step, syscall(num(arg) | 0x40000000L));
		} else if (!strncmp(step, "int80:", 6)) {
			long r = int80(num(arg));
			say(step, "%ld", r);
		} else if (!strcmp(step, "handler")) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_sigaction = on_sigsys;
			sa.sa_flags = SA_SIGINFO;
			report(step, sigaction(SIGSYS, &sa, NULL));
		} else if (!strncmp(step, "thread:", 7)) {
			pthread_t t;
			if (pthread_create(&t, NULL, thread_call, (void *)num(arg)) != 0) {
				say(step, "create failed");
				continue;
			}
			pthread_join(t, NULL);
			say(step, "joined");
		} else if (!strncmp(step, "execve:", 7)) {
			char *const args[] = { (char *)arg, NULL };
			char *const env[] = { NULL };
			syscall(SYS_execve, arg, args, env);
			say(step, "%s", errname(errno));
		} else if (!strcmp(step, "pty")) {
			if (setsid() < 0) {
				/* A process group leader cannot start a session (the bare runs are
				 * one): a child goes on with the steps, we end as it ends. */
				pid_t child = fork();
				if (child > 0) {
					int st;
					waitpid(child, &st, 0);
					if (WIFSIGNALED(st))
						kill(getpid(), WTERMSIG(st));
					syscall(SYS_exit_group, WIFEXITED(st) ? WEXITSTATUS(st) : 125);
				}
				setsid();
			}
			int master = posix_openpt(O_RDWR | O_NOCTTY);
			if (master < 0 || grantpt(master) || unlockpt(master)) {
				say(step, "openpt %s", errname(errno));
				continue;
			}
			/* A session leader without a terminal acquires the first one it opens. */
			tty = open(ptsname(master), O_RDWR);
			report(step, tty);
		} else if (!strcmp(step, "tiocsti")) {
			char c = 'x';
			report(step, syscall(SYS_ioctl, tty, (unsigned long)TIOCSTI, &c));
		} else if (!strcmp(step, "tiocsti_high")) {
			char c = 'x';
			report(step, syscall(SYS_ioctl, tty, (1UL << 32) | TIOCSTI, &c));
		} else if (!strcmp(step, "tioclinux")) {
			char c = 0;
			report(step, syscall(SYS_ioctl, tty, (unsigned long)TIOCLINUX, &c));
		} else if (!strcmp(step, "tcgets")) {
			struct termios t;
			report(step, syscall(SYS_ioctl, tty, (unsigned long)TCGETS, &t));
		} else if (!strcmp(step, "clone_newuser")) {
			long r = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0);
			if (r == 0)
				syscall(SYS_exit_group, 0);
			if (r > 0)
				waitpid((pid_t)r, NULL, 0);
			report(step, r > 0 ? 0 : r);
		} else if (!strcmp(step, "clone3")) {
			report(step, syscall(SYS_clone3, NULL, 0));
		} else {
			say(step, "unknown step");
		}
	}
	syscall(SYS_exit_group, 0);
	return 0;
}
