/*
 * signals: install handlers, report each signal that arrives, exit 0 once every
 * expected signal has come.
 *
 *   signals NAME...      e.g. `signals TERM USR1 HUP INT`
 *
 * Handlers are installed for HUP INT QUIT TERM USR1 USR2 WINCH CONT. Prints
 * `pid=`, then `ready=1` once the handlers are in place: only then may a test send
 * signals (to the OUTER process, which must forward them). Each arrival prints
 * `signal=NAME` and `from.NAME=PID` (si_pid as seen here: 1 when the sandbox's
 * init forwarded it). Gives up after 15 s with `timeout=1` and exit status 3.
 */
#include "fixture.h"

#include <signal.h>
#include <unistd.h>

static const int handled[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };
#define NHANDLED (sizeof handled / sizeof handled[0])

static volatile sig_atomic_t got[NSIG];
static volatile sig_atomic_t sender[NSIG];
static volatile sig_atomic_t timed_out;

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	got[sig]++;
	sender[sig] = info ? info->si_pid : -1;
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static int signal_number(const char *name)
{
	for (int s = 1; s < NSIG; s++) {
		const char *abbrev = sigabbrev_np(s);
		if (abbrev && strcmp(abbrev, name) == 0)
			return s;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int expected[NSIG];
	int nexpected = 0;
	for (int i = 1; i < argc && nexpected < NSIG; i++) {
		int s = signal_number(argv[i]);
		if (!s) {
			fprintf(stderr, "signals: unknown signal %s\n", argv[i]);
			return 2;
		}
		expected[nexpected++] = s;
	}

	/* Block them all while setting up; sigsuspend() below unblocks them atomically,
	 * so no arrival can fall between a check and the wait. */
	sigset_t block, waitmask;
	sigemptyset(&block);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaddset(&block, handled[i]);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (size_t i = 0; i < NHANDLED; i++)
		sigdelset(&waitmask, handled[i]);
	sigdelset(&waitmask, SIGALRM);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaction(handled[i], &sa, NULL);
	signal(SIGALRM, on_alarm);
	alarm(15);

	kv("pid", "%d", (int)getpid());
	kv("ready", "1");

	int printed[NSIG] = { 0 };
	for (;;) {
		sigsuspend(&waitmask);
		for (size_t i = 0; i < NHANDLED; i++) {
			int s = handled[i];
			while (printed[s] < got[s]) {
				char key[32];
				snprintf(key, sizeof key, "from.%s", sigabbrev_np(s));
				kv("signal", "%s", sigabbrev_np(s));
				kv(key, "%d", (int)sender[s]);
				printed[s]++;
			}
		}
		int missing = 0;
		for (int i = 0; i < nexpected; i++)
			if (!got[expected[i]])
				missing++;
		if (nexpected > 0 && !missing) {
			kv("all", "1");
			return 0;
		}
		if (timed_out) {
			kv("timeout", "1");
			return 3;
		}
	}
}
