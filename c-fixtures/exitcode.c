/*
 * exitcode: end in the way argv[1] says, to check that the outer process
 * reproduces it.
 *
 *   exitcode N       exit(N) (N in 0..255)
 *   exitcode SEGV    a real invalid memory access (SIGSEGV)
 *   exitcode ABRT    abort()
 *   exitcode KILL    raise(SIGKILL)
 *   exitcode NAME    raise(SIGNAME) for any other signal name (TERM, BUS, ...)
 *
 * Prints `pid=` and `ending=ARG` first, so a test can tell the program ran.
 */
#include "fixture.h"

#include <signal.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: exitcode N|SEGV|ABRT|KILL|SIGNAME\n");
		return 2;
	}
	const char *how = argv[1];
	kv("pid", "%d", (int)getpid());
	kv("ending", "%s", how);

	if (how[0] >= '0' && how[0] <= '9')
		exit(atoi(how));

	if (strcmp(how, "SEGV") == 0) {
		volatile int *volatile nowhere = NULL;
		*nowhere = 1;
	} else if (strcmp(how, "ABRT") == 0) {
		abort();
	} else {
		int sig = 0;
		for (int s = 1; s < NSIG; s++) {
			const char *name = sigabbrev_np(s);
			if (name && strcmp(name, how) == 0)
				sig = s;
		}
		if (sig == 0) {
			fprintf(stderr, "exitcode: unknown signal %s\n", how);
			return 2;
		}
		/* Make sure the default action applies even if the disposition was inherited as ignored. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	kv("survived", "1");
	return 3;
}
