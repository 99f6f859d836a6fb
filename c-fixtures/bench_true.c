/*
 * bench_true: does nothing and exits 0. The start-up benchmark (bench/run.sh) times
 * it bare, under libsandbox.so, under bubblewrap and under unshare(1): whatever the
 * time is, it is the launcher's.
 */
int main(void)
{
	return 0;
}
