/*
 * threads: a program that is already multi-threaded when main is called.
 *
 *   threads PATH
 *
 * A constructor starts a thread before main (constructors run before the
 * library's substitute main gets control). The sandbox must refuse such a
 * process (a user namespace cannot be entered with more than one thread):
 * exit 125 with one `sandbox: error:` line, and main never runs. If main does
 * run, it writes PATH, like `marker`, and prints `main=ran`.
 */
#include "fixture.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	sleep_ms(30000);
	return NULL;
}

__attribute__((constructor)) static void start_thread(void)
{
	pthread_t thread;
	if (pthread_create(&thread, NULL, idle, NULL) == 0)
		pthread_detach(thread);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	kv("main", "ran");
	return 0;
}
