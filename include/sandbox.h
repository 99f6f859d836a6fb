/*
 * sandbox.h - the C API of libsandbox.so: a program sandboxes itself.
 *
 *     #include <sandbox.h>
 *
 *     int main(int argc, char **argv)
 *     {
 *         setup_what_needs_the_host();           // open files, sockets, ... (see below)
 *         if (sandbox_enter("/etc/myapp/sandbox.toml") != 0) {
 *             fprintf(stderr, "sandbox: error: %s\n", sandbox_last_error());
 *             return 125;                        // nothing happened: NOT sandboxed
 *         }
 *         run_application_code();                // sandboxed from here on
 *     }
 *
 * Build: cc app.c -lsandbox   (with -I PREFIX/include -L PREFIX/lib, and
 * -Wl,-rpath,PREFIX/lib or the library in the loader's path).
 *
 * The policy is the one LD_PRELOAD=libsandbox.so applies (sandbox.toml(5)); the
 * same three processes are made (monitor, init, app) and the same fail-closed rules
 * hold. Where sandbox_enter returns:
 *
 *   - 0, in the app process: the calling code goes on inside the sandbox (pid 2 of
 *     its pid namespace, the new root, no capabilities, no_new_privs, seccomp last).
 *   - never, in the calling process: once the sandbox is being built, the original
 *     process becomes the monitor. It waits for the app and then exits with the app's
 *     exit status, or dies from the app's signal. If building the sandbox fails, it
 *     prints one line "sandbox: error: <what failed>: <why> (<hint>)" on stderr and
 *     exits 125: the caller's code never goes on unsandboxed.
 *   - -1, in the calling process, when the policy or the host was found unfit before
 *     anything changed (unreadable or invalid policy, a bind source missing, several
 *     threads running, a second call). The process is as it was and NOT sandboxed;
 *     sandbox_last_error() says why.
 *
 * Call it while the process has one thread, once. Descriptors above 2 are closed
 * unless the policy's process.keep_fds lists them; the environment becomes the one
 * the policy asks for (SANDBOX_* and the library's LD_PRELOAD entry removed).
 * SANDBOX_LOG=debug prints the plan. Link-time note: linking against libsandbox.so
 * also brings its LD_PRELOAD hook into the program; the hook sees that the program
 * was linked against the library (and that LD_PRELOAD does not name it) and stays
 * out of the way, so main runs unsandboxed until sandbox_enter. Started with
 * LD_PRELOAD=libsandbox.so or by `sandbox run`, such a program is sandboxed before
 * main, and sandbox_enter then returns -1 (already sandboxed).
 */
#ifndef LIBSANDBOX_SANDBOX_H
#define LIBSANDBOX_SANDBOX_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Enter the sandbox described by the policy file at `policy_path` (NULL: the
 * built-in default policy). See above for where it returns.
 */
int sandbox_enter(const char *policy_path);

/*
 * Why the last sandbox_enter returned -1, as "<what failed>: <why> (<hint>)"; NULL
 * if it did not fail. The string stays valid until the next sandbox_enter.
 */
const char *sandbox_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
